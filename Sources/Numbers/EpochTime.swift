/// Times from outside, in milliseconds since the epoch (the contract's unit for every `at`).
///
/// A time read from a stream entry, a hash or a reply is accepted only within `range`: from the
/// epoch to the last millisecond of the year 9999. Inside it, any difference of two times and any
/// time plus a day's worth of milliseconds fits an `Int64` with room to spare, so the arithmetic
/// done on accepted times cannot trap. What lies outside is refused where it is read.
public enum EpochTime {
    /// 9999-12-31T23:59:59.999Z.
    public static let latest: Int64 = 253_402_300_799_999

    /// The times accepted from outside.
    public static let range: ClosedRange<Int64> = 0...latest

    /// The time `text` says, when it is a whole number of milliseconds within `range`.
    ///
    /// Inlinable so that the parse is specialised for the caller's string type: called through
    /// the generic `StringProtocol` witness it was a tenth of the API's CPU on a store's board
    /// (200 orders, three times each; `perf`, issue 20).
    @inlinable
    public static func milliseconds(_ text: some StringProtocol) -> Int64? {
        guard let value = Int64(text), range.contains(value) else { return nil }
        return value
    }

    /// Whether `value` is a time this platform accepts.
    @inlinable
    public static func isValid(_ value: Int64) -> Bool { range.contains(value) }

    /// Why `value` is not an acceptable time, or nil (for error messages and dead letters).
    public static func problem(_ value: Int64) -> String? {
        range.contains(value) ? nil : "is not a time between 1970 and 9999 in milliseconds since the epoch (got \(value))"
    }
}
