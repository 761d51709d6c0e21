import Contract

/// Charges whose outcome the order side never learned (the gateway timed out, or approved a
/// charge whose order could not be written): they are handed to `payment-refund` on the
/// `payment-voids` stream, and settled there (`PaymentRefund`). The domain's port; Redis keeps
/// the requests on their stream and the marks beside the orders.
public protocol PaymentVoids: Sendable {
    /// Asks `payment-refund` to settle an uncertain charge.
    func request(orderId: String, customerId: String, reason: String, at now: Int64) async throws
    /// Claims the right to decide about this order id first: from then on the order can no
    /// longer be placed (its commit is refused, `OrderCommitOutcome.voided`), so a void and a
    /// late commit never both succeed.
    func mark(orderId: String) async throws
}

/// The entry asking for an uncertain charge to be settled (`PaymentVoidRequested`).
public func paymentVoidRequest(orderId: String, customerId: String, reason: String, at now: Int64) -> EventEnvelope {
    EventEnvelope(.paymentVoidRequested, orderId: orderId, at: now, data: EventData(orderId: orderId, customerId: customerId, reason: reason))
}
