import JSON
import PaymentGatewayAPI

/// What the refund policy needs of the payment gateway: the contract's
/// `POST /payments/{id}/cancel`, and the stand-in's `GET /payments?orderId=` (what a real PG
/// offers to settle an unanswered charge). Workers call it through `LitePaymentGateway`, which
/// keeps them free of NIO and Foundation (a lean process).
public protocol PaymentGateway: Sendable {
    func cancel(paymentId: String) async throws(PaymentFailure)
    func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment?
}

/// What placing an order needs besides: the contract's `POST /payments`, once per idempotency
/// key. The API implements it over async-http-client (`PaymentGatewayClient`).
public protocol PaymentCharging: PaymentGateway {
    func charge(orderId: String, customerId: String, amount: Int, idempotencyKey: String) async throws(PaymentFailure) -> Payment
}

extension PaymentGateway {
    /// The gateway's record of a payment, from a GET's status and body.
    public static func payment(status: Int, text: String) throws(PaymentFailure) -> Payment? {
        switch status {
        case 200:
            do { return try Payment(json: text) } catch { throw .failed("an unreadable payment: \(error)") }
        case 404: return nil
        default: throw .failed("the gateway answered \(status): \(text.prefix(200))")
        }
    }
}
