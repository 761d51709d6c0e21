import Contract

extension BaedalEnvironment {
    /// The deployment's key space: `BAEDAL_PREFIX`, `BAEDAL_PARTITIONS`, and whether keys carry
    /// their partition's hash tag (more than one partition, or any Redis Cluster).
    public var keySpace: KeySpace { KeySpace(prefix: prefix, partitions: partitions, tagged: redis.cluster != nil) }

    /// The deployment's keys on a single untagged partition, under `BAEDAL_PREFIX`. Only for what
    /// is not partitioned: use `keySpace` for everything about orders.
    public var keys: Keys { keySpace.shared }
}
