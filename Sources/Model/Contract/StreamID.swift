/// A stream entry id, `<milliseconds>-<sequence>`, ordered as Redis orders them (two numbers,
/// not text). The one parser of ids that come from outside (a console action, a cursor, a
/// command line): exactly two runs of decimal digits around one `-`, each within 64 bits. What
/// Redis would refuse (`1-2-`, `-1-2`, `1--2`, `+1-2`, `1`) is refused here first, as bad input.
public struct StreamID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init?(_ text: some StringProtocol) {
        let bytes = text.utf8
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")),
              let ms = Self.number(bytes[..<dash]), let seq = Self.number(bytes[bytes.index(after: dash)...])
        else { return nil }
        milliseconds = ms
        sequence = seq
    }

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// 1…20 decimal digits within 64 bits; nothing else (no sign, no second dash).
    private static func number(_ digits: some Collection<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAgain) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow, !overflowAgain else { return nil }
            value = sum
        }
        return value
    }

    /// The smallest id after this one.
    public var next: StreamID {
        sequence == .max ? StreamID(milliseconds: milliseconds &+ 1, sequence: 0) : StreamID(milliseconds: milliseconds, sequence: sequence + 1)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }

    public static func < (a: StreamID, b: StreamID) -> Bool {
        (a.milliseconds, a.sequence) < (b.milliseconds, b.sequence)
    }

    /// Whether id `a` comes before `b` (or equals it), for sorting ids as Redis orders them;
    /// text that is not an id compares as text.
    public static func ascending(_ a: String, _ b: String) -> Bool {
        guard let x = StreamID(a), let y = StreamID(b) else { return a <= b }
        return x <= y
    }
}
