import Backbone
import JSON
import Redis

/// Charges whose outcome the order side never learned (the gateway timed out, or approved a
/// charge whose order could not be written): they are handed to `payment-refund` on the
/// `payment-voids` stream, and settled there (`PaymentRefund`).
public struct PaymentVoids: Sendable {
    public static let requested = "PaymentVoidRequested"

    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    /// Set before a void cancels anything: from then on the order can no longer be placed (its
    /// commit is `blockedBy` this key), so a void and a late commit never both succeed.
    public static func marker(_ keys: Keys, orderId: String) -> String { keys.key("payment-void", orderId) }

    /// Asks `payment-refund` to settle an uncertain charge.
    public func request(orderId: String, customerId: String, reason: String, at now: Int64) async throws {
        var command = RedisCommand("XADD", keys.stream(.paymentVoids), "*")
        for (name, value) in Self.request(orderId: orderId, customerId: customerId, reason: reason, at: now).fields {
            command.append(name)
            command.append(value)
        }
        _ = try await redis.send(command)
    }

    /// Claims the right to decide about this order id first: the mark blocks its placement (kept a day).
    public func mark(orderId: String) async throws {
        _ = try await redis.send(RedisCommand("SET", Self.marker(keys, orderId: orderId), "1", "NX", "PX", "86400000"))
    }

    /// The entry asking for an uncertain charge to be settled.
    public static func request(orderId: String, customerId: String, reason: String, at now: Int64) -> EventEnvelope {
        EventEnvelope(type: requested, orderId: orderId, at: now, data: JSONWriter.object { json in
            json.field("orderId", orderId)
            json.field("customerId", customerId)
            json.field("reason", reason)
        })
    }
}
