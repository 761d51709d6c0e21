/// Why a charge did not produce an approved payment.
public enum PaymentFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The gateway answered no: the card is declined. Nothing is charged.
    case declined
    /// The circuit is open: the gateway was not called. Nothing is charged.
    case circuitOpen(retryAfter: Duration)
    /// No connection could be made: the gateway never saw the request. Nothing is charged.
    case unreachable(String)
    /// No answer in time: the gateway may still approve it.
    case timedOut
    /// An answer that is not one of the contract's: the outcome is unknown.
    case failed(String)
    /// The idempotency key names a payment that has been cancelled since (voided after a timeout).
    case voided(paymentId: String)

    public var isCircuitOpen: Bool {
        if case .circuitOpen = self { return true }
        return false
    }

    /// Whether the gateway may have approved a charge that the caller never learned of.
    public var outcomeUnknown: Bool {
        switch self {
        case .timedOut, .failed: true
        case .declined, .circuitOpen, .unreachable, .voided: false
        }
    }

    public var description: String {
        switch self {
        case .declined: "the payment was declined"
        case .circuitOpen(let retryAfter): "the payment gateway is failing; its circuit is open for another \(retryAfter)"
        case .unreachable(let reason): "the payment gateway cannot be reached: \(reason)"
        case .timedOut: "the payment gateway did not answer in time"
        case .failed(let reason): "the payment gateway failed: \(reason)"
        case .voided(let id): "payment \(id) of this request was cancelled after the gateway failed to answer in time"
        }
    }
}
