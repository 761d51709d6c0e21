/// The one rule for the ids of stores, customers, riders, orders, regions and foods: 1…64
/// characters, each a letter or a digit of any script (`가게` is an id), a combining mark, or one
/// of `-`, `_` and `.`. No `:` (the separator of Redis keys), no `%`, no white space, no control
/// or glob characters: an id names exactly one key of each kind, reads cleanly in a log line and
/// in `redis-cli`, and is the same in a URL path once percent-decoded.
///
/// An id is also in Unicode Normalization Form C (NFC, what keyboards and most systems send).
/// Swift compares strings by canonical equivalence (`가나` composed equals `가나` decomposed), while
/// Redis keys are bytes: were both forms accepted, an ownership check would find a decomposed
/// `sub` equal to a composed customer id while the keys stayed apart, and one account could act
/// on another's orders. With only NFC accepted, two valid ids are equal exactly when their bytes
/// are: one identity everywhere. A decomposed id is refused with a message that says so.
///
/// Every id that enters from outside is checked against it: path parameters, bodies and token
/// claims at the API (400 or 401), event data on the streams before a policy builds a key from it
/// (the entry is malformed and dead-lettered). `Keys` escapes key parts besides, so that a path
/// that forgot the check still cannot reach another id's key.
public enum Identifier {
    public static let maxLength = 64

    /// Why `text` is not an id (for a 400 or a dead letter), or nil when it is one.
    public static func problem(_ text: String) -> String? {
        // Nearly every id is short ASCII (`o-5f0c…`, `s-gangnam-chicken`): one pass over its bytes.
        var ascii = true
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F: continue
            default: ascii = false
            }
            break
        }
        if ascii, !text.isEmpty, text.utf8.count <= maxLength { return nil }
        var count = 0
        for scalar in text.unicodeScalars {
            count += 1
            if count > maxLength { return "is longer than \(maxLength) characters" }
            guard isAllowed(scalar) else {
                return scalar.value < 0x20 || scalar.value == 0x7F
                    ? "contains a control character (U+\(hex(scalar.value)))"
                    : "contains '\(scalar)' (ids are \(rule))"
            }
        }
        if count == 0 { return "is empty (ids are \(rule))" }
        if !isNFC(text) { return "is not in Unicode Normalization Form C (send the composed form of its characters)" }
        return nil
    }

    /// Whether `text`'s bytes are its NFC form. The standard library's NFC code units
    /// (`_nfcCodeUnits`, public and what Foundation builds on) spare this lean module Foundation.
    static func isNFC(_ text: String) -> Bool {
        text._nfcCodeUnits.elementsEqual(text.utf8)
    }

    public static func isValid(_ text: String) -> Bool { problem(text) == nil }

    /// A fresh id: `prefix` and 24 hex digits (96 random bits), e.g. `o-5f0c…`.
    public static func random(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt32
        return prefix + hexDigits(high, count: 16) + hexDigits(UInt64(low), count: 8)
    }

    static func hexDigits(_ value: UInt64, count: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(count - text.count, 0)) + text
    }

    /// The rule in words, for error messages and `--help`.
    public static let rule = "1…\(maxLength) letters, digits, '-', '_' or '.'"

    @inline(__always)
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F: return true  // 0-9 A-Z a-z - . _
        case 0..<0x80: return false
        default:
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .decimalNumber:
                return true
            default:
                return false
            }
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
