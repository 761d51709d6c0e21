import Contract

extension BaedalEnvironment {
    /// The deployment's keys, under `BAEDAL_PREFIX`.
    public var keys: Keys { Keys(prefix: prefix) }
}
