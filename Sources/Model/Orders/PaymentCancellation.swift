import Contract

/// The order's answer to a payment cancelled at the gateway (`Order.paymentCancelled`).
public enum PaymentCancellation: Sendable, Hashable {
    public static let reason = "the payment was cancelled by the payment gateway"
    /// Cancel it: the change to commit.
    case cancel(OrderChange)
    /// Too late to cancel (picked or later): an operator must settle it with the customer.
    case needsOperator(String)
    /// Cancelled or rejected already (Baedal's own refund): nothing to do.
    case settled
    /// Not this order's payment.
    case unrelated
}
