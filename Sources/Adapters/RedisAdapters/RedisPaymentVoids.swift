import Contract
import Payments
import Redis

/// `PaymentVoids` in Redis: requests on the `payment-voids` stream, marks beside the orders
/// (`Keys.paymentVoid`, kept a day).
public struct RedisPaymentVoids: PaymentVoids {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public func request(orderId: String, customerId: String, reason: String, at now: Int64) async throws {
        var command = RedisCommand("XADD", keys.stream(.paymentVoids), "*")
        for field in paymentVoidRequest(orderId: orderId, customerId: customerId, reason: reason, at: now).streamFields {
            command.append(field.name)
            command.append(bytes: field.value)
        }
        _ = try await redis.send(command)
    }

    public func mark(orderId: String) async throws {
        _ = try await redis.send(RedisCommand("SET", keys.paymentVoid(orderId), "1", "NX", "PX", "86400000"))
    }
}
