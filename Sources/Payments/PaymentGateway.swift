import Backbone
import HTTPLite

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

/// What the order side and the refund policy need of the payment gateway (the contract's
/// `POST /payments/{id}/cancel`, and the stand-in's `GET /payments?orderId=`). The API calls it
/// through async-http-client; workers through `LitePaymentGateway`, which keeps them free of NIO
/// and Foundation (a lean process).
public protocol PaymentGateway: Sendable {
    func cancel(paymentId: String) async throws(PaymentFailure)
    func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment?
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

/// The workers' gateway client, over `HTTPLite`.
public struct LitePaymentGateway: PaymentGateway {
    public let baseURL: String
    public let timeout: Duration

    public init(baseURL: String, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
    }

    public func cancel(paymentId: String) async throws(PaymentFailure) {
        let response = try await call("POST", "/payments/\(HTTPLite.percentEncode(paymentId))/cancel", body: "{}")
        guard response.status == 200 else {
            throw .failed("POST /payments/\(paymentId)/cancel answered \(response.status): \(response.text.prefix(200))")
        }
    }

    public func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment? {
        let response = try await call("GET", "/payments?orderId=\(HTTPLite.percentEncode(orderId))")
        return try Self.payment(status: response.status, text: response.text)
    }

    private func call(_ method: String, _ path: String, body: String? = nil) async throws(PaymentFailure) -> HTTPLite.Response {
        do {
            return try await HTTPLite.send(method, baseURL + path, headers: body == nil ? [] : [("Content-Type", "application/json")],
                                           body: Array((body ?? "").utf8), timeout: timeout)
        } catch .unreachable(let reason) {
            throw .unreachable(reason)
        } catch .timedOut {
            throw .timedOut
        } catch {
            throw .failed("\(error)")
        }
    }
}

extension Payment {
    /// The approval's body, `{"paymentId","status":"approved"}` (a repeated key may find it `cancelled`).
    public init(paymentResponse text: String, orderId: String, customerId: String, amount: Int) throws(JSONReader.Failure) {
        var paymentId: String?
        var status = Status.approved
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "paymentId": paymentId = try reader.readString()
                case "status":
                    let text = try reader.readString()
                    guard let value = Status(rawValue: text) else { throw reader.fail("unknown status '\(text)'") }
                    status = value
                default: try reader.skipValue()
                }
            }
            guard let id = paymentId, !id.isEmpty else { throw reader.fail("paymentId is missing") }
        }
        self.init(paymentId: paymentId!, orderId: orderId, customerId: customerId, amount: amount, status: status)
    }
}
