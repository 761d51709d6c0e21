import AsyncHTTPClient
import Backbone
import HTTPLite
import JSON
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PaymentGatewayAPI
import Payments

/// The one synchronous call between contexts: the order side asks the payment gateway over HTTP
/// through async-http-client (the contract's `POST /payments` and `POST /payments/{id}/cancel`,
/// and the stand-in's `GET /payments?orderId=` that settles an unanswered charge).
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

    /// How the call goes out (being measured: AHC's async API, AHC pinned to the caller's loop,
    /// or the loop-bound client).
    enum Transport: Sendable {
        case asyncHTTPClient(HTTPClient)
        case asyncHTTPClientOnLoop(HTTPClient)
        case loop(LoopHTTPClient)
    }

    public let settings: Settings
    let transport: Transport

    public init(settings: Settings, http: HTTPClient) {
        self.settings = settings
        self.transport = .asyncHTTPClient(http)
    }

    init(settings: Settings, transport: Transport) {
        self.settings = settings
        self.transport = transport
    }

    /// An HTTP client for calls to the gateway: a pool big enough for a busy API, connection
    /// failures reported at once instead of retried until the deadline.
    public static func makeHTTPClient(connectTimeout: Duration = .milliseconds(500)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000 + connectTimeout.components.attoseconds / 1_000_000_000)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Charges the customer, once per idempotency key.
    public func charge(orderId: String, customerId: String, amount: Int, idempotencyKey: String) async throws(PaymentFailure) -> Payment {
        let body = JSONWriter.object { json in
            json.field("orderId", orderId)
            json.field("customerId", customerId)
            json.field("amount", amount)
        }
        let (status, text) = try await call(.POST, "/payments", body: body, headers: [("Idempotency-Key", idempotencyKey)])
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
        let (status, text) = try await call(.POST, "/payments/\(HTTPLite.percentEncode(paymentId))/cancel", body: "{}")
        guard status == 200 else { throw .failed("POST /payments/\(paymentId)/cancel answered \(status): \(text.prefix(200))") }
    }

    /// The gateway's payment for an order, if it made one (what an uncertain charge is settled by).
    public func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment? {
        let (status, text) = try await call(.GET, "/payments?orderId=\(HTTPLite.percentEncode(orderId))")
        return try Self.payment(status: Int(status), text: text)
    }


    private func call(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws(PaymentFailure) -> (UInt, String) {
        switch transport {
        case .asyncHTTPClient(let http): return try await callAsync(http, method, path, body: body, headers: headers)
        case .asyncHTTPClientOnLoop(let http): return try await callOnLoop(http, method, path, body: body, headers: headers)
        case .loop(let client):
            var all = headers
            if body != nil { all.append(("Content-Type", "application/json")) }
            do {
                let (status, buffer) = try await client.execute(method, path, headers: all, body: body, timeout: settings.timeout)
                return (UInt(status), String(buffer: buffer))
            } catch {
                switch error {
                case .unreachable(let reason): throw .unreachable(reason)
                case .timedOut: throw .timedOut
                case .broken(let reason): throw .failed(reason)
                }
            }
        }
    }

    private func callOnLoop(_ http: HTTPClient, _ method: HTTPMethod, _ path: String, body: String?, headers: [(String, String)]) async throws(PaymentFailure) -> (UInt, String) {
        let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? http.eventLoopGroup.next()
        do {
            var fields = HTTPHeaders(headers)
            if body != nil { fields.add(name: "Content-Type", value: "application/json") }
            let request = try HTTPClient.Request(url: settings.baseURL + path, method: method, headers: fields, body: body.map { .string($0) })
            let response = try await http.execute(request: request, eventLoop: .delegateAndChannel(on: eventLoop),
                                                  deadline: .now() + .nanoseconds(Int64(settings.timeout / .nanoseconds(1)))).get()
            return (response.status.code, response.body.map { String(buffer: $0) } ?? "")
        } catch {
            throw Self.failure(error)
        }
    }

    private func callAsync(_ http: HTTPClient, _ method: HTTPMethod, _ path: String, body: String?, headers: [(String, String)]) async throws(PaymentFailure) -> (UInt, String) {
        var request = HTTPClientRequest(url: settings.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(settings.timeout / .nanoseconds(1))))
            let buffer = try await response.body.collect(upTo: 1 << 20)
            return (response.status.code, String(buffer: buffer))
        } catch {
            throw Self.failure(error)
        }
    }

    private static func failure(_ error: any Error) -> PaymentFailure {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout { return .timedOut }
        if let error = error as? HTTPClientError, error == .connectTimeout { return .unreachable("connect timed out") }
        if let error = error as? NIOConnectionError { return .unreachable("\(error.connectionErrors.first.map { "\($0.error)" } ?? "\(error)")") }
        if let error = error as? IOError { return .unreachable("\(error)") }
        return .failed("\(error)")
    }
}

