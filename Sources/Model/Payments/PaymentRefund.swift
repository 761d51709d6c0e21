import Contract
import Logging
import Numbers
import Orders

/// `baedal-worker payment-refund`: gives the money back.
/// - `OrderCancelled` and `OrderRejected` cancel the order's payment at the gateway.
/// - `PaymentVoidRequested` (on `payment-voids`) settles a charge whose answer never reached the
///   order side: if the gateway approved it and no order exists, it is cancelled. While the
///   gateway might still be working on it, the request is retried later.
/// - `PaymentCancelled` that Baedal did not ask for (the gateway's own: a chargeback, a fraud
///   check) cancels its order while no rider has it (`Order.paymentCancelled`), and flags it for
///   an operator on `baedal:flags` once food is on its way. The refunds Baedal asked for find their
///   order cancelled or rejected already and change nothing.
/// Gateway cancels are idempotent, so a redelivered event does no harm; a gateway that keeps
/// refusing sends the event to the dead letters, to be replayed once it is fixed.
///
/// Unlike the other policies this one is not a pure `(message) → Effects`: its work is outside
/// Redis (the gateway), and it writes the void mark and commits order cancellations itself, each
/// idempotent, before the runtime acknowledges the message. Only the operator flag travels as an
/// effect, applied with the ack.
public enum PaymentRefund {
    public static let name = "payment-refund"

    /// An unanswered charge is settled only this long after it was reported: a gateway still
    /// working on it has answered by then, and a customer retrying with the same
    /// `Idempotency-Key` (told 503, retry in 1–2 s) has placed the order it was for.
    public static let settleAfterMilliseconds: Int64 = 10_000

    public struct Unsettled: Error, CustomStringConvertible {
        public var description: String { "too early to settle: the gateway or the customer's retry may still complete it" }
    }

    public static func policy(keys: Keys, gateway: any PaymentGateway, orders: any OrderRepository, voids: any PaymentVoids,
                              logger: Logger, now: @escaping EpochClock) -> Policy {
        Policy(name: name, streams: [.order, .store, .paymentVoids, .payment]) { message in
            let event = try EventEnvelope(message)
            guard let stream = keys.streamName(ofKey: message.stream), let type = EventType.on(stream, event.type) else { return .none }
            switch type {
            case .orderCancelled, .orderRejected:
                let paymentId = try event.decoded().required(\.paymentId, "paymentId", of: event)
                try await gateway.cancel(paymentId: paymentId)
                logger.info("refunded", metadata: ["orderId": "\(event.orderId)", "paymentId": "\(paymentId)", "after": "\(event.type)"])
            case .paymentVoidRequested:
                if now().clampedSubtracting(event.at) < settleAfterMilliseconds { throw Unsettled() }
                guard let payment = try await gateway.payment(forOrder: event.orderId) else {
                    logger.info("void settled: the gateway never charged", metadata: ["orderId": "\(event.orderId)"])
                    return .none
                }
                guard payment.status == .approved else { return .none }
                try await voids.mark(orderId: event.orderId)
                if try await orders.exists(event.orderId) {
                    logger.warning("void skipped: the order exists after all", metadata: ["orderId": "\(event.orderId)"])
                    return .none
                }
                try await gateway.cancel(paymentId: payment.paymentId)
                logger.notice("voided a charge without an order", metadata: ["orderId": "\(event.orderId)", "paymentId": "\(payment.paymentId)"])
            case .paymentCancelled:
                let paymentId = try event.decoded().requiredId(\.paymentId, "paymentId", of: event)
                var flag: String?, cancelled = false
                let order = try await orders.change(event.orderId) { order in
                    (flag, cancelled) = (nil, false)  // decided again after a conflict
                    switch order.paymentCancelled(paymentId, at: now()) {
                    case .cancel(let change): cancelled = true; return change
                    case .needsOperator(let reason): flag = reason; return nil
                    case .settled, .unrelated: return nil
                    }
                }
                if let flag {
                    logger.critical("payment cancelled at the gateway after pick-up; flagged for an operator",
                                    metadata: ["orderId": "\(event.orderId)", "paymentId": "\(paymentId)", "status": "\(order?.status.rawValue ?? "-")"])
                    return Effects([.append(stream: keys.flags, fields: flagEntry(event.orderId, paymentId: paymentId, reason: flag, at: now()))])
                }
                if cancelled {
                    logger.notice("order cancelled: the gateway cancelled its payment", metadata: ["orderId": "\(event.orderId)", "paymentId": "\(paymentId)"])
                }
            default:
                break
            }
            return .none
        }
    }

    /// An entry of `baedal:flags`: the contract's envelope, so `redis-cli XRANGE` reads it as a log.
    static func flagEntry(_ orderId: String, paymentId: String, reason: String, at now: Int64) -> [StreamField] {
        EventEnvelope(.paymentCancelledAfterPickup, orderId: orderId, at: now,
                      data: EventData(orderId: orderId, paymentId: paymentId, reason: reason)).streamFields
    }
}
