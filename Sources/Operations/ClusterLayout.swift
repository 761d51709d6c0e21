import Contract
import Redis

/// Where a partitioned backbone sits on a Redis Cluster: each primary with its replicas, the
/// slots it serves and the partitions whose tag hashes into them. What `baedalctl status` shows
/// of a cluster: a partition is one slot, so a primary's share of the partitions (not of the
/// slots) is its share of the load.
public struct ClusterLayout: Sendable, Hashable {
    public struct Node: Sendable, Hashable {
        public var primary: String
        public var health: String?
        public var replicas: [(endpoint: String, health: String?)]
        public var slots: [ClosedRange<Int>]
        public var slotCount: Int
        /// The partitions this primary serves.
        public var partitions: [Int]

        public static func == (a: Node, b: Node) -> Bool {
            a.primary == b.primary && a.health == b.health && a.replicas.map(\.endpoint) == b.replicas.map(\.endpoint)
                && a.replicas.map(\.health) == b.replicas.map(\.health) && a.slots == b.slots && a.partitions == b.partitions
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(primary)
            hasher.combine(partitions)
        }
    }

    public var nodes: [Node]
    /// Each partition's slot, by partition.
    public var partitionSlots: [Int]
    /// Partitions no primary serves now (a failover under way, a cluster not fully covered).
    public var unserved: [Int]
    public var unservedSlots: Int

    /// The partition's slot: that of its keys' tag.
    public static func slot(of keys: Keys) -> HashSlot { HashSlot(key: keys.dead) }

    public init(map: ClusterSlotMap, keySpace: KeySpace) {
        let slots = keySpace.all.map(Self.slot(of:))
        partitionSlots = slots.map(\.value)
        nodes = map.shards.map { shard in
            Node(primary: shard.primary.endpoint.description, health: shard.primary.health,
                 replicas: shard.replicas.map { ($0.endpoint.description, $0.health) },
                 slots: shard.slots.map { $0.lowerBound.value...$0.upperBound.value }, slotCount: shard.slotCount,
                 partitions: slots.indices.filter { map.primary(for: slots[$0]) == shard.primary.endpoint })
        }
        unserved = slots.indices.filter { map.primary(for: slots[$0]) == nil }
        unservedSlots = map.unservedSlots
    }

    /// `0-5460,10923` as `redis-cli` writes ranges.
    public static func ranges(_ slots: [ClosedRange<Int>]) -> String {
        slots.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }
}
