extension Duration {
    /// Whole milliseconds (rounded down), the unit of every duration in Baedal's settings and logs.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
