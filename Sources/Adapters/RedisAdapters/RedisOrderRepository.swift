import Application
import Backbone
import Contract
import Orders
import Redis

/// Orders in Redis: one hash per order (`OrderRecord`), changed only by atomic commits
/// (`AtomicCommitter`) that also append the change's events, with the customer's receipt and the
/// void mark in the same step. Writes a user is told succeeded wait for the replicas the
/// deployment asks for (`BAEDAL_MIN_REPLICAS`). Every key of an order is its partition's
/// (`KeySpace.keys(forOrder:)`), so each commit stays in one hash slot.
public struct RedisOrderRepository: OrderRepository {
    public let keySpace: KeySpace
    public let redis: any RedisExecutor
    public let replication: Replication
    /// How long each of an order's deadlines gives (`OrderDeadline`).
    public let timeouts: OrderTimeouts
    private let committer = AtomicCommitter()
    /// How long a receipt is remembered.
    public static let receiptMilliseconds = 24 * 3_600_000

    public init(keySpace: KeySpace, redis: any RedisExecutor, replication: Replication = .none, timeouts: OrderTimeouts = .standard) {
        (self.keySpace, self.redis, self.replication, self.timeouts) = (keySpace, redis, replication, timeouts)
    }

    /// The keys of an order's partition.
    func keys(_ orderId: String) -> Keys { keySpace.keys(forOrder: orderId) }

    public func load(_ orderId: String) async throws -> Order? {
        OrderRecord.order(id: orderId, reply: try await redis.send(RedisCommand("HGETALL", keys(orderId).order(orderId))))
    }

    public func load(_ orderIds: [String]) async throws -> [Order] {
        guard !orderIds.isEmpty else { return [] }
        let replies = try await redis.pipeline(orderIds.map { RedisCommand("HGETALL", keys($0).order($0)) })
        return zip(orderIds, replies).compactMap { OrderRecord.order(id: $0, reply: $1) }
    }

    public func statuses(_ orderIds: [String]) async throws -> [OrderStatus?] {
        guard !orderIds.isEmpty else { return [] }
        let replies = try await redis.pipeline(orderIds.map { RedisCommand("HGET", keys($0).order($0), "status") })
        return replies.map { $0.string.flatMap(OrderStatus.init(rawValue:)) }
    }

    public func exists(_ orderId: String) async throws -> Bool {
        try await redis.send(RedisCommand("EXISTS", keys(orderId).order(orderId))).int == 1
    }

    public func receipt(customer: String, idempotencyKey: String) async throws -> String? {
        // The receipt lives with the order the key stands for (`PlaceOrder.orderId(customer:idempotencyKey:)`).
        let orderId = PlaceOrder.orderId(customer: customer, idempotencyKey: idempotencyKey)
        let key = keys(orderId).orderReceipt(customer: customer, idempotencyKey: idempotencyKey)
        guard let receipt = try await redis.send(RedisCommand("GET", key)).string else { return nil }
        if replication.replicas > 0 {
            try replication.check(try await redis.confirm(touching: RedisCommand("PEXPIRE", key, String(Self.receiptMilliseconds)),
                                                          replication: replication))
        }
        return receipt
    }

    /// The copies a commit keeps beside its order: on the store's board and the customer's page
    /// always, on the region's riders' board while it is cooked (removed when a rider picks it or
    /// it is cancelled).
    func copies(of change: OrderChange, itemsJSON: String) -> [AggregateCommit.Snapshot] {
        let order = change.order
        let keys = keys(order.id)
        let copy = OrderRecord.copy(of: order, version: order.version + 1, itemsJSON: itemsJSON)
        var snapshots = [
            AggregateCommit.Snapshot(key: keys.storeOrders(order.storeId), field: order.id, value: copy),
            AggregateCommit.Snapshot(key: keys.customerOrders(order.customerId), field: order.id, value: copy),
        ]
        if order.status == .cooked {
            snapshots.append(.init(key: keys.regionJobs(order.region), field: order.id, value: copy))
        } else if change.events.contains(where: { $0.type == .deliveryPicked || $0.type == .orderCancelled }) {
            snapshots.append(.init(key: keys.regionJobs(order.region), field: order.id, value: nil))
        }
        return snapshots
    }

    /// The deadlines a change sets and clears, in the same step (`OrderDeadline.changes`).
    func deadlines(of change: OrderChange) -> [AggregateCommit.Timer] {
        let (set, cleared) = OrderDeadline.changes(by: change.events)
        if set.isEmpty && cleared.isEmpty { return [] }
        let key = keys(change.order.id).deadlines
        return cleared.map { .init(key: key, member: $0.member(change.order.id), due: nil) }
            + set.map { .init(key: key, member: $0.member(change.order.id), due: timeouts.due($0, from: change.order.updatedAt)) }
    }

    public func commit(_ change: OrderChange, receipt: OrderReceipt?, unlessVoided: Bool) async throws -> OrderCommitOutcome {
        // The lines are rendered once, for the hash and for the events that carry them.
        let itemsJSON = EventData.json(change.order.items)
        let keys = keys(change.order.id)
        let commit = AggregateCommit(
            aggregateKey: keys.order(change.order.id),
            expectedVersion: change.order.version,
            state: change.order.version == 0 ? OrderRecord.fields(of: change.order, itemsJSON: itemsJSON) : OrderRecord.changingFields(of: change.order),
            events: change.events.map {
                (keys.stream($0.stream), $0.envelope(for: change.order, at: change.order.updatedAt, since: change.since, itemsJSON: itemsJSON))
            },
            idempotency: receipt.map {
                AggregateCommit.Idempotency(key: keys.orderReceipt(customer: $0.customer, idempotencyKey: $0.idempotencyKey), result: $0.record,
                                            ttlMilliseconds: Self.receiptMilliseconds)
            },
            blockedBy: unlessVoided ? keys.paymentVoid(change.order.id) : nil,
            snapshots: copies(of: change, itemsJSON: itemsJSON),
            timers: deadlines(of: change)
        )
        switch try await committer.commit(commit, using: redis, replication: replication) {
        case .committed(let version, _): return .committed(version: version)
        case .conflict: return .conflict
        case .duplicate(let first): return .duplicate(first)
        case .blocked: return .voided
        }
    }
}
