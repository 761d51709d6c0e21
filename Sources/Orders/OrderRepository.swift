import Backbone
import Redis

/// Where orders live: one hash per order, changed only by atomic commits that also append the
/// change's events. Two racing commands on one order cannot both win: the loser re-reads the
/// order and is decided again against what won.
public struct OrderRepository: Sendable {
    public let keys: Keys
    public let redis: any RedisExecutor
    /// How many replicas a change must reach before it is reported (`BAEDAL_MIN_REPLICAS`).
    public let replication: Replication
    private let committer = AtomicCommitter()

    public init(keys: Keys, redis: any RedisExecutor, replication: Replication = .none) {
        (self.keys, self.redis, self.replication) = (keys, redis, replication)
    }

    public func key(of orderId: String) -> String { keys.key("order", orderId) }

    public func load(_ orderId: String) async throws -> Order? {
        Self.order(id: orderId, reply: try await redis.send(RedisCommand("HGETALL", key(of: orderId))))
    }

    /// Several orders in one round trip, in the order asked; absent ones are left out.
    public func load(_ orderIds: [String]) async throws -> [Order] {
        guard !orderIds.isEmpty else { return [] }
        let replies = try await redis.pipeline(orderIds.map { RedisCommand("HGETALL", key(of: $0)) })
        return zip(orderIds, replies).compactMap { Self.order(id: $0, reply: $1) }
    }

    /// The status of each order, in one round trip (nil where there is no such order).
    public func statuses(_ orderIds: [String]) async throws -> [OrderStatus?] {
        guard !orderIds.isEmpty else { return [] }
        let replies = try await redis.pipeline(orderIds.map { RedisCommand("HGET", key(of: $0), "status") })
        return replies.map { $0.string.flatMap(OrderStatus.init(rawValue:)) }
    }

    /// Whether an order with this id exists.
    public func exists(_ orderId: String) async throws -> Bool {
        try await redis.send(RedisCommand("EXISTS", key(of: orderId))).int == 1
    }

    /// Where a customer's `Idempotency-Key` remembers its first receipt.
    public func receiptKey(customer: String, idempotencyKey: String) -> String {
        keys.idempotency("order", customer, key: idempotencyKey)
    }

    /// The receipt a customer's `Idempotency-Key` got the first time, if it was used before, once
    /// it is as safe as a new order would be (it reached the replicas the repository waits for).
    public func receipt(customer: String, idempotencyKey: String) async throws -> String? {
        let key = receiptKey(customer: customer, idempotencyKey: idempotencyKey)
        guard let receipt = try await redis.send(RedisCommand("GET", key)).string else { return nil }
        if replication.replicas > 0 {
            try replication.check(try await redis.confirm(touching: RedisCommand("PEXPIRE", key, String(24 * 3_600_000)), replication: replication))
        }
        return receipt
    }

    static func order(id: String, reply: RESPValue) -> Order? {
        var fields: [String: String] = [:]
        for (name, value) in reply.pairs {
            if let name = name.string, let value = value.string { fields[name] = value }
        }
        return fields.isEmpty ? nil : OrderRecord.order(id: id, fields: fields)
    }

    /// Writes a change with its events, if the order is still at the version it was read at.
    public func commit(_ change: OrderChange, at now: Int64, idempotency: AggregateCommit.Idempotency? = nil,
                       blockedBy: String? = nil) async throws -> CommitResult {
        let commit = AggregateCommit(
            aggregateKey: key(of: change.order.id),
            expectedVersion: change.order.version,
            state: OrderRecord.fields(of: change.order),
            events: change.events.map { (keys.stream($0.stream), $0.envelope(for: change.order, at: now)) },
            idempotency: idempotency,
            blockedBy: blockedBy
        )
        return try await committer.commit(commit, using: redis, replication: replication)
    }

    /// Runs a command against the order as stored: read, decide, commit; on a conflict, read
    /// again and decide again. Returns the order as the command left it.
    public func execute(_ command: OrderCommand, on orderId: String, by actor: Actor, reason: String = "",
                        now: @Sendable () -> Int64) async throws -> Order {
        let order = try await change(orderId) { order throws(OrderError) in try order.decide(command, by: actor, at: now(), reason: reason) }
        guard let order else { throw OrderError.orderNotFound(orderId) }
        return order
    }

    /// Read, decide, commit, retried on a conflict: the one loop every change of a stored order
    /// goes through. `decide` returns nil for "nothing to change" (then the order is returned as
    /// read). Nil when there is no such order.
    public func change(_ orderId: String, _ decide: (Order) throws(OrderError) -> OrderChange?) async throws -> Order? {
        for _ in 0..<64 {
            guard let order = try await load(orderId) else { return nil }
            guard let change = try decide(order) else { return order }
            switch try await commit(change, at: change.order.updatedAt) {
            case .committed(let version, _):
                var stored = change.order
                stored.version = version
                return stored
            case .conflict:
                continue  // someone else changed it first: decide again against what won
            case .duplicate, .blocked:
                throw RedisError.unexpectedReply(expected: "a commit of an existing order", got: "an idempotency or void outcome")
            }
        }
        throw OrderError.contended(orderId)
    }
}
