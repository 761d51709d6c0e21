import HTTPLite
import JSON
import NIOCore
import NIOHTTP1
import PaymentGatewayAPI
import Payments
import Telemetry

/// The one synchronous call between contexts: the order side asks the payment gateway over HTTP
/// (the contract's `POST /payments` and `POST /payments/{id}/cancel`, and the stand-in's
/// `GET /payments?orderId=` that settles an unanswered charge), through `LoopHTTPClient`: the
/// call goes out and its answer is read on the event loop of the request that makes it
/// (docs/decisions/loop-http-client.md says why, with the figures of the alternatives).
public struct PaymentGatewayClient: PaymentCharging {
    public struct Settings: Sendable {
        public var baseURL: String
        public var timeout: Duration
        public var connectTimeout: Duration

        public init(baseURL: String = "http://127.0.0.1:8081", timeout: Duration = .seconds(2), connectTimeout: Duration = .milliseconds(500)) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.timeout = timeout
            self.connectTimeout = connectTimeout
        }
    }

    public let settings: Settings
    let client: LoopHTTPClient

    /// `baseURL` must be an `http://` URL (`APISettings` checks it).
    public init(settings: Settings) {
        self.settings = settings
        let (host, port, _) = HTTPLite.split(settings.baseURL) ?? ("127.0.0.1", 8081, "")
        client = LoopHTTPClient(host: host, port: port, connectTimeout: settings.connectTimeout)
    }

    /// Charges the customer, once per idempotency key.
    public func charge(orderId: String, customerId: String, amount: Int, idempotencyKey: String) async throws(PaymentFailure) -> Payment {
        let body = JSONWriter.object { json in
            json.field("orderId", orderId)
            json.field("customerId", customerId)
            json.field("amount", amount)
        }
        let (status, text) = try await call(.POST, "/payments", route: "/payments", body: body, headers: [("Idempotency-Key", idempotencyKey)])
        switch status {
        case 200, 201:
            guard let payment = try? Payment(paymentResponse: text, orderId: orderId, customerId: customerId, amount: amount) else {
                throw .failed("an approval without a paymentId: \(text.prefix(200))")
            }
            guard payment.status == .approved else { throw .voided(paymentId: payment.paymentId) }
            return payment
        case 402:
            throw .declined
        default:
            throw .failed("POST /payments answered \(status): \(text.prefix(200))")
        }
    }

    /// Cancels (refunds) a payment. Cancelling a cancelled payment is fine.
    public func cancel(paymentId: String) async throws(PaymentFailure) {
        let (status, text) = try await call(.POST, "/payments/\(HTTPLite.percentEncode(paymentId))/cancel", route: "/payments/{paymentId}/cancel", body: "{}")
        guard status == 200 else { throw .failed("POST /payments/\(paymentId)/cancel answered \(status): \(text.prefix(200))") }
    }

    /// The gateway's payment for an order, if it made one (what an uncertain charge is settled by).
    public func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment? {
        let (status, text) = try await call(.GET, "/payments?orderId=\(HTTPLite.percentEncode(orderId))", route: "/payments")
        return try Self.payment(status: Int(status), text: text)
    }


    private func call(_ method: HTTPMethod, _ path: String, route: String, body: String? = nil, headers: [(String, String)] = []) async throws(PaymentFailure) -> (UInt, String) {
        let span = HTTPClientSpan(method: method.rawValue, route: route, url: settings.baseURL + path)
        var all = headers + span.headers
        if body != nil { all.append(("Content-Type", "application/json")) }
        do {
            let (status, buffer) = try await client.execute(method, path, headers: all, body: body, timeout: settings.timeout)
            span.finish(status: status)
            return (UInt(status), String(buffer: buffer))
        } catch {
            span.finish(error: error)
            switch error {
            case .unreachable(let reason): throw .unreachable(reason)
            case .timedOut: throw .timedOut
            case .broken(let reason): throw .failed(reason)
            }
        }
    }
}
