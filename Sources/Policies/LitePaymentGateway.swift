import HTTPLite
import PaymentGatewayAPI
import Payments
import Telemetry

/// The workers' gateway client, over `HTTPLite`.
public struct LitePaymentGateway: PaymentGateway {
    public let baseURL: String
    public let timeout: Duration

    public init(baseURL: String, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
    }

    public func cancel(paymentId: String) async throws(PaymentFailure) {
        let response = try await call("POST", "/payments/\(HTTPLite.percentEncode(paymentId))/cancel", route: "/payments/{paymentId}/cancel", body: "{}")
        guard response.status == 200 else {
            throw .failed("POST /payments/\(paymentId)/cancel answered \(response.status): \(response.text.prefix(200))")
        }
    }

    public func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment? {
        let response = try await call("GET", "/payments?orderId=\(HTTPLite.percentEncode(orderId))", route: "/payments")
        return try Self.payment(status: response.status, text: response.text)
    }

    private func call(_ method: String, _ path: String, route: String, body: String? = nil) async throws(PaymentFailure) -> HTTPLite.Response {
        let span = HTTPClientSpan(method: method, route: route, url: baseURL + path)
        do {
            let response = try await HTTPLite.send(method, baseURL + path,
                                                   headers: (body == nil ? [] : [("Content-Type", "application/json")]) + span.headers,
                                                   body: Array((body ?? "").utf8), timeout: timeout)
            span.finish(status: response.status)
            return response
        } catch {
            span.finish(error: error)
            throw Self.failure(error)
        }
    }

    private static func failure(_ error: HTTPLite.Failure) -> PaymentFailure {
        switch error {
        case .unreachable(let reason): .unreachable(reason)
        case .timedOut: .timedOut
        default: .failed("\(error)")
        }
    }
}
