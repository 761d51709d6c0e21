import Backbone
import Contract
import JSON
import PaymentGatewayAPI
import Redis

/// The gateway stand-in's own records: `baedal:payment:<id>` hashes, `baedal:payments:by-order`
/// (orderId → paymentId) and idempotency keys. Each change and its event (`PaymentApproved`,
/// `PaymentCancelled` on `baedal:events:payment`) is one atomic script.
///
/// Partitioned, every record of a payment lives in its order's partition (the payment event is
/// an event about the order). A cancel and a look-up receive only the payment's id, so the id
/// says its partition: it is drawn until `KeySpace.partition(of:)` of the id is its order's
/// (about as many draws as there are partitions; one on a single partition).
public struct PaymentLedger: Sendable {
    public let keySpace: KeySpace
    public let redis: any RedisExecutor
    /// How many replicas an approval or a cancel must reach before it is answered.
    public let replication: Replication

    public init(keySpace: KeySpace, redis: any RedisExecutor, replication: Replication = .none) {
        (self.keySpace, self.redis, self.replication) = (keySpace, redis, replication)
    }

    /// A fresh payment id in the partition of `orderId`.
    public func newPaymentId(for orderId: String) -> String {
        let partition = keySpace.partition(of: orderId)
        while true {
            let id = Identifier.random("p-")
            if keySpace.partition(of: id) == partition { return id }
        }
    }

    /// The keys of a payment's partition (its order's).
    func keys(ofPayment paymentId: String) -> Keys { keySpace.keys(forOrder: paymentId) }
    func key(of paymentId: String) -> String { keys(ofPayment: paymentId).key("payment", paymentId) }
    func byOrder(_ orderId: String) -> String { keySpace.keys(forOrder: orderId).key("payments", "by-order") }

    public enum Outcome: Sendable, Hashable {
        case approved(Payment)
        /// The idempotency key was used before: the first payment, unchanged.
        case repeated(Payment)
    }

    /// Approves a payment, once per idempotency key.
    public func approve(_ payment: Payment, idempotencyKey: String, at now: Int64) async throws -> Outcome {
        let event = EventEnvelope(type: EventType.paymentApproved.rawValue, orderId: payment.orderId, at: now, data: Self.eventData(payment))
        let keys = keySpace.keys(forOrder: payment.orderId)
        let idempotency = keys.idempotency("payment", key: idempotencyKey)
        let (reply, replicas) = try await redis.run(
            Self.approveScript,
            keys: [idempotency, key(of: payment.paymentId), byOrder(payment.orderId), keys.stream(.payment)],
            arguments: Self.traced(RedisCommand([payment.paymentId, payment.orderId, payment.customerId, String(payment.amount),
                                                 event.type, String(event.at), event.data])),
            replication: replication)
        guard let parts = reply.array, parts.count == 2, let outcome = parts[0].string, let paymentId = parts[1].string else {
            throw RedisError.unexpectedReply(expected: "an approval", got: "\(reply)")
        }
        if outcome == "approved" {
            try replication.check(replicas)
            return .approved(payment)
        }
        // A repeat: the first approval may not have reached the replicas yet.
        try replication.check(try await redis.confirm(touching: RedisCommand("PEXPIRE", idempotency, "86400000"), replication: replication))
        guard let first = try await find(paymentId) else {
            throw RedisError.unexpectedReply(expected: "the first payment of the key", got: "no payment \(paymentId)")
        }
        return .repeated(first)
    }

    public func find(_ paymentId: String) async throws -> Payment? {
        let values = try await redis.send(RedisCommand("HMGET", key(of: paymentId), "orderId", "customerId", "amount", "status")).array ?? []
        guard values.count == 4, let orderId = values[0].string, let amount = values[2].int,
              let status = values[3].string.flatMap(Payment.Status.init(rawValue:)) else { return nil }
        return Payment(paymentId: paymentId, orderId: orderId, customerId: values[1].string ?? "", amount: amount, status: status)
    }

    public func find(orderId: String) async throws -> Payment? {
        guard let paymentId = try await redis.send(RedisCommand("HGET", byOrder(orderId), orderId)).string else { return nil }
        return try await find(paymentId)
    }

    /// Cancels an approved payment; cancelling a cancelled one changes nothing. Nil: no such payment.
    public func cancel(_ paymentId: String, at now: Int64) async throws -> Payment? {
        guard var payment = try await find(paymentId) else { return nil }
        guard payment.status == .approved else { return payment }
        payment.status = .cancelled
        let event = EventEnvelope(type: EventType.paymentCancelled.rawValue, orderId: payment.orderId, at: now, data: Self.eventData(payment))
        let (_, replicas) = try await redis.run(Self.cancelScript, keys: [key(of: paymentId), keys(ofPayment: paymentId).stream(.payment)],
                                                arguments: Self.traced(RedisCommand([event.type, event.orderId, String(event.at), event.data])),
                                                replication: replication)
        try replication.check(replicas)
        return payment
    }

    /// The arguments followed by the request's trace context (`traceparent`, `tracestate`), which
    /// the scripts append to the event's fields.
    static func traced(_ arguments: RedisCommand) -> RedisCommand {
        var arguments = arguments
        for field in TraceFields.current() {
            arguments.append(field.name)
            arguments.append(bytes: field.value)
        }
        return arguments
    }

    static func eventData(_ payment: Payment) -> String {
        JSONWriter.object { json in
            json.field("orderId", payment.orderId)
            json.field("paymentId", payment.paymentId)
            json.field("customerId", payment.customerId)
            json.field("amount", payment.amount)
        }
    }

    static let approveScript = RedisScript(source: #"""
    -- KEYS: idempotency key, payment hash, by-order hash, payment stream
    -- ARGV: paymentId orderId customerId amount eventType at data, then the trace's (field value)*
    if (#ARGV - 7) % 2 ~= 0 then return redis.error_reply('ERR the trace fields come in pairs') end
    local first = redis.call('GET', KEYS[1])
    if first then return { 'repeated', first } end
    redis.call('HSET', KEYS[2], 'orderId', ARGV[2], 'customerId', ARGV[3], 'amount', ARGV[4], 'status', 'approved')
    redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
    redis.call('XADD', KEYS[4], '*', 'type', ARGV[5], 'orderId', ARGV[2], 'at', ARGV[6], 'data', ARGV[7], unpack(ARGV, 8))
    redis.call('SET', KEYS[1], ARGV[1], 'PX', 86400000)
    return { 'approved', ARGV[1] }
    """#)

    static let cancelScript = RedisScript(source: #"""
    -- KEYS: payment hash, payment stream; ARGV: eventType orderId at data, then the trace's (field value)*
    if (#ARGV - 4) % 2 ~= 0 then return redis.error_reply('ERR the trace fields come in pairs') end
    if redis.call('HGET', KEYS[1], 'status') ~= 'approved' then return 0 end
    redis.call('HSET', KEYS[1], 'status', 'cancelled')
    redis.call('XADD', KEYS[2], '*', 'type', ARGV[1], 'orderId', ARGV[2], 'at', ARGV[3], 'data', ARGV[4], unpack(ARGV, 5))
    return 1
    """#)
}
