import Numbers

/// A deployment's keys split into partitions (`BAEDAL_PARTITIONS`), so that the backbone can
/// spread over the primaries of a Redis Cluster while every atomic step stays in one hash slot.
///
/// An order belongs to one partition: CRC16 (XMODEM, Redis's own checksum) of its id's UTF-8
/// bytes, modulo the partition count. Its aggregate, its receipt, every event about it on each
/// stream, its retry and dead-letter records and every view entry derived from it live under that
/// partition's keys (`keys(forOrder:)`), tagged `{k}`. Views that span orders (a store's board,
/// a customer's orders, the dashboards…) are kept per partition and merged when read.
///
/// One untagged partition (`partitions` 1 on a single Redis or Sentinel) keeps the keys of before
/// partitions, byte for byte. Keys that belong to no order (stores and menus, the autoscaler's
/// view) are `shared`: untagged, or all under the tag `{catalog}` in a tagged key space so that a
/// store and the index of stores can change in one step.
public struct KeySpace: Sendable, Hashable {
    public let prefix: String
    public let partitions: Int
    /// Whether keys carry their partition's tag: more than one partition, or a cluster.
    public let tagged: Bool

    /// The most partitions a deployment may have.
    public static let maxPartitions = 1_024

    public init(prefix: String = "baedal", partitions: Int = 1, tagged: Bool = false) {
        precondition((1...Self.maxPartitions).contains(partitions), "1…\(Self.maxPartitions) partitions")
        self.prefix = prefix
        self.partitions = partitions
        self.tagged = tagged || partitions > 1
    }

    /// The partition of an order.
    public func partition(of orderId: String) -> Int {
        partitions == 1 ? 0 : Int(CRC16.xmodem(orderId.utf8) % UInt16(partitions))
    }

    /// The keys of partition `k` (0 ..< `partitions`).
    public func keys(ofPartition k: Int) -> Keys {
        tagged ? Keys(prefix: prefix, tag: String(k)) : Keys(prefix: prefix)
    }

    /// The keys of an order's partition.
    public func keys(forOrder orderId: String) -> Keys { keys(ofPartition: partition(of: orderId)) }

    /// Every partition's keys, in order.
    public var all: [Keys] { (0..<partitions).map(keys(ofPartition:)) }

    /// The keys that belong to no order.
    public var shared: Keys { tagged ? Keys(prefix: prefix, tag: "catalog") : Keys(prefix: prefix) }

    /// The string key that records the deployment's partition count at its first start.
    public var partitionCount: String { "\(prefix):partitions" }
}
