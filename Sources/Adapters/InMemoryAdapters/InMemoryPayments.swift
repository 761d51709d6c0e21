import Contract
import PaymentGatewayAPI
import Payments
import Synchronization

/// A payment gateway in memory: approves every charge up to `declineAbove`, once per
/// idempotency key; or answers with the failure a test sets (`failing`).
public final class InMemoryPaymentGateway: PaymentCharging {
    private struct State {
        var payments: [String: Payment] = [:]
        var byKey: [String: String] = [:]
        var failing: PaymentFailure?
        var declineAbove: Int?
        var next = 1
    }

    private let state = Mutex(State())

    public init(declineAbove: Int? = nil) { state.withLock { $0.declineAbove = declineAbove } }

    /// From now on every call fails so (nil: the gateway answers again).
    public func fail(with failure: PaymentFailure?) { state.withLock { $0.failing = failure } }

    /// Every payment made, by id.
    public var payments: [String: Payment] { state.withLock { $0.payments } }

    public func charge(orderId: String, customerId: String, amount: Int, idempotencyKey: String) async throws(PaymentFailure) -> Payment {
        try state.withLock { state throws(PaymentFailure) in
            if let failure = state.failing { throw failure }
            if let id = state.byKey[idempotencyKey], let first = state.payments[id] { return first }
            if let limit = state.declineAbove, amount > limit { throw .declined }
            let payment = Payment(paymentId: "p-\(state.next)", orderId: orderId, customerId: customerId, amount: amount, status: .approved)
            state.next += 1
            state.payments[payment.paymentId] = payment
            state.byKey[idempotencyKey] = payment.paymentId
            return payment
        }
    }

    public func cancel(paymentId: String) async throws(PaymentFailure) {
        try state.withLock { state throws(PaymentFailure) in
            if let failure = state.failing { throw failure }
            state.payments[paymentId]?.status = .cancelled
        }
    }

    public func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment? {
        try state.withLock { state throws(PaymentFailure) in
            if let failure = state.failing { throw failure }
            return state.payments.values.first { $0.orderId == orderId }
        }
    }
}

/// Void requests and marks in memory.
public final class InMemoryPaymentVoids: PaymentVoids {
    private let state = Mutex<(requests: [EventEnvelope], marks: Set<String>)>(([], []))

    public init() {}

    public var requests: [EventEnvelope] { state.withLock { $0.requests } }

    /// The order ids marked voided.
    public var marks: Set<String> { state.withLock { $0.marks } }

    public func request(orderId: String, customerId: String, reason: String, at now: Int64) async throws {
        state.withLock { $0.requests.append(paymentVoidRequest(orderId: orderId, customerId: customerId, reason: reason, at: now)) }
    }

    public func mark(orderId: String) async throws { _ = state.withLock { $0.marks.insert(orderId) } }
}
