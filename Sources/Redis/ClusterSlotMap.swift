/// Which primary serves each of a Redis Cluster's 16,384 slots, with its replicas: one answer of
/// `CLUSTER SHARDS` (or `CLUSTER SLOTS`), checked. A map is a value: a refresh makes a new one
/// with a higher `generation`, so a caller that routed with one map can tell whether the map has
/// changed since (and a storm of `MOVED` replies asks for one refresh, not one each).
public struct ClusterSlotMap: Sendable, Hashable {
    /// One node of the cluster.
    public struct Node: Sendable, Hashable, CustomStringConvertible {
        /// The node's id (40 hex characters), empty when the reply did not say.
        public var id: String
        public var endpoint: RedisEndpoint
        /// `online`, `failed`, `loading` (`CLUSTER SHARDS`), nil when the reply did not say.
        public var health: String?

        public init(id: String, endpoint: RedisEndpoint, health: String? = nil) {
            self.id = id
            self.endpoint = endpoint
            self.health = health
        }

        public var description: String { id.isEmpty ? endpoint.description : "\(endpoint) (\(id.prefix(8)))" }
    }

    /// A primary, its replicas, and the slot ranges it serves.
    public struct Shard: Sendable, Hashable {
        public var primary: Node
        public var replicas: [Node]
        public var slots: [ClosedRange<HashSlot>]

        public init(primary: Node, replicas: [Node], slots: [ClosedRange<HashSlot>]) {
            self.primary = primary
            self.replicas = replicas
            self.slots = slots
        }

        /// How many slots it serves.
        public var slotCount: Int { slots.reduce(0) { $0 + $1.upperBound.value - $1.lowerBound.value + 1 } }
    }

    /// Shards that serve at least one slot, in the order of their first slot.
    public let shards: [Shard]
    /// Counts the refreshes of one resolver: a larger number is a newer map.
    public internal(set) var generation: Int
    /// For each slot, the index of its shard in `shards`; `unserved` where no shard serves it.
    private let owners: [UInt16]
    private static let unserved = UInt16.max

    /// Checks that no slot is claimed twice; shards without slots are left out.
    public init(shards: [Shard], generation: Int) throws(RedisError) {
        let serving = shards.filter { !$0.slots.isEmpty }.sorted { ($0.slots.map(\.lowerBound).min() ?? HashSlot(uncheckedValue: 0)) < ($1.slots.map(\.lowerBound).min() ?? HashSlot(uncheckedValue: 0)) }
        var owners = [UInt16](repeating: Self.unserved, count: HashSlot.count)
        for (index, shard) in serving.enumerated() {
            for range in shard.slots {
                for slot in range.lowerBound.value...range.upperBound.value {
                    guard owners[slot] == Self.unserved else {
                        throw .unexpectedReply(expected: "each slot served by one primary", got: "slot \(slot) claimed by \(serving[Int(owners[slot])].primary) and \(shard.primary)")
                    }
                    owners[slot] = UInt16(index)
                }
            }
        }
        self.shards = serving
        self.generation = generation
        self.owners = owners
    }

    /// The same map under another generation number.
    func with(generation: Int) -> ClusterSlotMap {
        var map = self
        map.generation = generation
        return map
    }

    /// The shard that serves the slot; nil when none does (the cluster is not fully covered).
    public func shard(for slot: HashSlot) -> Shard? {
        let index = owners[slot.value]
        return index == Self.unserved ? nil : shards[Int(index)]
    }

    /// The primary that serves the slot.
    public func primary(for slot: HashSlot) -> RedisEndpoint? { shard(for: slot)?.primary.endpoint }

    /// Every primary that serves slots, in slot order.
    public var primaries: [RedisEndpoint] { shards.map(\.primary.endpoint) }

    /// Every node the map names (primaries first), once each.
    public var nodes: [RedisEndpoint] {
        var seen = Set<RedisEndpoint>()
        return (shards.map(\.primary.endpoint) + shards.flatMap { $0.replicas.map(\.endpoint) }).filter { seen.insert($0).inserted }
    }

    /// The slots no primary serves.
    public var unservedSlots: Int { owners.lazy.filter { $0 == Self.unserved }.count }

    public static func == (lhs: ClusterSlotMap, rhs: ClusterSlotMap) -> Bool {
        lhs.generation == rhs.generation && lhs.shards == rhs.shards
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(generation)
        hasher.combine(shards)
    }

    /// Whether both maps send every slot to the same primary (generations aside).
    public func routesLike(_ other: ClusterSlotMap) -> Bool { owners == other.owners && primaries == other.primaries }
}
