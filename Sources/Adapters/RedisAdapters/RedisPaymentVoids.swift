import Backbone
import Contract
import Payments
import Redis

/// `PaymentVoids` in Redis: requests on the `payment-voids` stream, marks beside the orders
/// (`Keys.paymentVoid`, kept a day), both in the order's partition.
public struct RedisPaymentVoids: PaymentVoids {
    public let keySpace: KeySpace
    public let redis: any RedisExecutor

    public init(keySpace: KeySpace, redis: any RedisExecutor) { (self.keySpace, self.redis) = (keySpace, redis) }

    public func request(orderId: String, customerId: String, reason: String, at now: Int64) async throws {
        var command = RedisCommand("XADD", keySpace.keys(forOrder: orderId).stream(.paymentVoids), "*")
        for field in paymentVoidRequest(orderId: orderId, customerId: customerId, reason: reason, at: now).streamFields + TraceFields.current() {
            command.append(field.name)
            command.append(bytes: field.value)
        }
        _ = try await redis.send(command)
    }

    public func mark(orderId: String) async throws {
        _ = try await redis.send(RedisCommand("SET", keySpace.keys(forOrder: orderId).paymentVoid(orderId), "1", "NX", "PX", "86400000"))
    }
}
