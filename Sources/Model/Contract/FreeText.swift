/// Text people write (a store's name, a dish, an address, a reason): any script, bounded in
/// length, and without control characters, which no legitimate name holds and which would
/// otherwise forge lines in logs and terminals.
public enum FreeText {
    /// Why `text` is not acceptable, or nil. Empty text is the caller's decision.
    public static func problem(_ text: String, maxLength: Int) -> String? {
        var count = 0
        for scalar in text.unicodeScalars {
            count += 1
            if count > maxLength { return "is longer than \(maxLength) characters" }
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                return "contains a control character"
            }
        }
        return nil
    }
}
