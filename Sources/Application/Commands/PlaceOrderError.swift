import Payments

/// Why an order was not placed, beyond the domain's own refusals (`OrderError`, `StoreError`):
/// what the payment gateway said, or an idempotency key that names another order. The API maps
/// each to its status in one place.
public enum PlaceOrderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The card was declined: nothing charged, no order.
    case paymentDeclined(amount: Int)
    /// The gateway is down, slow or its circuit is open: nothing stays charged, no order; retry later.
    case paymentUnavailable(PaymentFailure, retryAfter: Duration)
    /// This key's earlier charge was voided after the gateway failed to answer in time: use a new key.
    case paymentVoided(paymentId: String)
    /// This key was used for another order (its record had expired).
    case idempotencyKeyReused
    /// This key was used with another request (other store, items, region or address): a client
    /// that reuses keys by mistake must hear it, not be handed an order it did not ask for.
    case idempotencyKeyMismatch

    public var description: String {
        switch self {
        case .paymentDeclined(let amount): "the payment of \(amount) won was declined; no order was placed"
        case .paymentUnavailable(let failure, _) where failure.isCircuitOpen: "\(failure); nothing was charged"
        case .paymentUnavailable(let failure, _): "\(failure); no order was placed and nothing stays charged, try again shortly"
        case .paymentVoided(let paymentId):
            "the payment of this Idempotency-Key (\(paymentId)) was cancelled after the gateway did not answer in time; place the order again with a new key"
        case .idempotencyKeyReused: "this Idempotency-Key was used for another order"
        case .idempotencyKeyMismatch:
            "this Idempotency-Key was used with a different request (store, items, region or address); the first order stands, use a new key for a new order"
        }
    }
}
