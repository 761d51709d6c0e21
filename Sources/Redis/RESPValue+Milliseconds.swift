extension RESPValue {
    /// A sorted-set score (or any number Redis sends as text) read as whole milliseconds since the
    /// epoch: nil unless it is a finite number within ±9×10¹⁵ (about 285,000 years), so that no
    /// arithmetic on it can overflow. Scores are anyone's to write with redis-cli.
    public var milliseconds: Int64? {
        guard let value = string.flatMap(Double.init), value.isFinite, abs(value) < 9.0e15 else { return nil }
        return Int64(value.rounded(.down))
    }
}
