/// Every Redis key of one partition of a deployment (`KeySpace` says which partitions there
/// are), under its prefix (`BAEDAL_PREFIX`, default `baedal`) and, in a partitioned deployment,
/// its partition's hash tag: `baedal:events:order` on a single partition, `baedal:{3}:events:order`
/// on partition 3, so that every key of an order sits in one hash slot.
///
/// A key is the base and its parts joined by `:`. Parts are escaped (`:` as `%3A`, `%` as
/// `%25`, and the glob characters `*?[]\` likewise), so no two distinct lists of parts make the
/// same key: a store named `s9:board` could never write store `s9`'s board. Valid ids
/// (`Identifier`) contain none of these characters, so their keys read as they are.
public struct Keys: Sendable, Hashable {
    public let prefix: String
    /// The hash tag every key carries after the prefix (a partition's number), or nil.
    public let tag: String?
    /// What every key starts with: `baedal`, or `baedal:{3}`.
    public let base: String

    public init(prefix: String = "baedal", tag: String? = nil) {
        self.prefix = prefix
        self.tag = tag
        base = tag.map { "\(prefix):{\($0)}" } ?? prefix
    }

    /// The partition these keys belong to (0 when keys carry no partition's tag).
    public var partition: Int { tag.flatMap { Int($0) } ?? 0 }

    // MARK: Streams (the contract's)

    /// `baedal:events:order` and its siblings.
    public func stream(_ name: StreamName) -> String { "\(base):events:\(name.rawValue)" }

    /// The dead-letter stream, `baedal:dead`.
    public var dead: String { "\(base):dead" }

    /// Orders an operator must look at (`baedal:flags`, a stream read by people, not by a group):
    /// e.g. a payment the gateway cancelled after a rider had picked the food up.
    public var flags: String { "\(base):flags" }

    /// Every order's deadlines that have not come due (a sorted set: `accept:<orderId>` scored by
    /// when it comes due, ms), set and cleared by the order's commits; `DeadlinePump` moves each
    /// one that comes due to the `deadlines` stream, once.
    public var deadlines: String { key("deadlines") }

    /// The orders flagged because no rider picked them in time and not picked since (a sorted
    /// set: order id scored by when it was flagged), for the console; the flag itself is on `flags`.
    public var openPickupFlags: String { key("flags", "pickup-overdue") }

    /// The name of the stream a full key belongs to, if it is one of the event streams.
    public func streamName(ofKey key: String) -> StreamName? {
        StreamName.allCases.first { stream($0) == key }
    }

    // MARK: Aggregates and their records

    /// An order's hash, `baedal:order:<id>`.
    public func order(_ orderId: String) -> String { key("order", orderId) }

    /// Where a customer's `Idempotency-Key` remembers its first receipt.
    public func orderReceipt(customer: String, idempotencyKey: String) -> String { idempotency("order", customer, key: idempotencyKey) }

    /// The mark `payment-refund` sets before it voids an order id's charge: the order may no longer be placed.
    public func paymentVoid(_ orderId: String) -> String { key("payment-void", orderId) }

    /// A store's hash, `baedal:store:<id>`, and the index of every store.
    public func store(_ storeId: String) -> String { key("store", storeId) }
    public var stores: String { key("stores") }

    // MARK: Views (written by the policies, read by the API)

    /// The owner's board: the store's orders by the time they were placed (store-inbox).
    public func storeBoard(_ storeId: String) -> String { key("store", storeId, "board") }

    /// Copies of the orders a board lists, kept by the order's commit (a hash: order id → the
    /// order as its hash holds it), so a board reads its orders in one command: the store's, the
    /// customer's, and the region's while they wait for a rider.
    public func storeOrders(_ storeId: String) -> String { key("store", storeId, "orders") }
    public func customerOrders(_ customerId: String) -> String { key("customer", customerId, "order-copies") }
    public func regionJobs(_ region: String) -> String { key("deliveries", region, "jobs") }

    /// The store's cooking queue: orders by the time cooking started (projector).
    public func cookingQueue(_ storeId: String) -> String { key("store", storeId, "cooking") }

    /// The riders' board of a region: cooked orders by the time cooking finished (delivery-dispatch).
    public func riderBoard(_ region: String) -> String { key("deliveries", region, "waiting") }

    /// The recent durations of a stage (`OrderStage`) at a store, or in a region (ms, newest first,
    /// a list of `OrderStage.kept`), kept by the projector for the estimated delivery time.
    public func storeTimings(_ storeId: String, _ stage: OrderStage) -> String { key("store", storeId, "timings", stage.rawValue) }
    public func regionTimings(_ region: String, _ stage: OrderStage) -> String { key("deliveries", region, "timings", stage.rawValue) }

    /// What each live order's customer was last told to expect (a sorted set: order id scored by the
    /// estimated delivery time, ms), kept by the notification policy to tell a slip.
    public var promisedDeliveries: String { key("estimates", "promised") }

    /// A customer's "my page": their order ids as they were placed (projector).
    public func myOrders(_ customerId: String) -> String { key("customer", customerId, "orders") }

    /// A customer's notifications, scored by when their event happened (notification).
    public func inbox(_ customerId: String) -> String { key("customer", customerId, "notifications") }

    /// The dashboards (projector): units per food, deliveries per rider.
    public enum Dashboard: String, Sendable, CaseIterable, Hashable {
        case foodOrders = "food-orders"
        case riderDeliveries = "rider-deliveries"
    }

    public func dashboard(_ board: Dashboard) -> String { key("dashboard", board.rawValue) }

    /// Orders per minute by status, one hash per minute since the epoch (projector).
    public func ordersPerMinute(_ minute: Int64) -> String { key("dashboard", "orders-per-minute", String(minute)) }

    /// The pattern of every minute's key (for `baedalctl rebuild`, which compares them all).
    public var ordersPerMinutePattern: String { key("dashboard", "orders-per-minute") + ":*" }

    /// A partition's orders per minute in a partitioned deployment: one hash per hour (hours since
    /// the epoch), fields `<minute>:<status>`, so the last hour of N partitions is read from 2 × N
    /// hashes rather than 60 × N.
    public func ordersPerHour(_ hour: Int64) -> String { key("dashboard", "orders-per-hour", String(hour)) }

    /// The pattern of every hour's key.
    public var ordersPerHourPattern: String { key("dashboard", "orders-per-hour") + ":*" }

    // MARK: The runtime's records of a consumer group

    /// The group's retry book: messages waiting for their next delivery.
    public func retryBook(_ group: String) -> String { key("retry", group) }

    /// The group's watermark per stream (see `GroupRecords`).
    public func groupPositions(_ group: String) -> String { key("group", group, "positions") }

    /// The ids of a stream whose effects the group applied above its watermark.
    public func groupApplied(_ group: String, stream: String) -> String {
        key("group", group, "applied", streamName(ofKey: stream)?.rawValue ?? stream)
    }

    /// What the autoscaler tells everyone (`AutoscalerView` per policy).
    public var autoscaler: String { key("autoscaler") }

    /// Any other key of the deployment: `key("dashboard", "food-orders")` is `baedal:dashboard:food-orders`.
    public func key(_ parts: String...) -> String {
        var key = base
        for part in parts {
            key += ":"
            Self.escape(part, into: &key)
        }
        return key
    }

    /// Where an `Idempotency-Key` remembers the first result, per scope (e.g. the order side of
    /// one customer): `baedal:idempotency:<scope…>:<key>`, every part escaped.
    public func idempotency(_ scope: String..., key: String) -> String {
        var text = base + ":idempotency"
        for part in scope + [key] {
            text += ":"
            Self.escape(part, into: &text)
        }
        return text
    }

    /// Appends one key part, escaping what could be read as a separator, an escape or a glob.
    static func escape(_ part: String, into key: inout String) {
        var clean = true
        for byte in part.utf8 where needsEscape(byte) {
            clean = false
            break
        }
        if clean {
            key += part
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.utf8.count + 8)
        for byte in part.utf8 {
            if needsEscape(byte) {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0F))
            } else {
                bytes.append(byte)
            }
        }
        key += String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: ":"), UInt8(ascii: "%"), UInt8(ascii: "*"), UInt8(ascii: "?"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "\\"): return true
        default: return false
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }
}
