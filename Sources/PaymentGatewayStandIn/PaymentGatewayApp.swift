import Contract
import Daemon
import HTTPServer
import Hummingbird
import JSON
import PaymentGatewayAPI
import Logging
import Prometheus
import Redis

/// The payment gateway stand-in: authorises and cancels payments, keeps its own records, and
/// publishes `PaymentApproved` and `PaymentCancelled`. Idempotent by `Idempotency-Key`.
public struct PaymentGatewayApp: Sendable {
    let settings: PaymentGatewaySettings
    let ledger: PaymentLedger
    let health: RedisHealth
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    public init(settings: PaymentGatewaySettings, redis: any RedisExecutor, health: RedisHealth, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.settings = settings
        self.ledger = PaymentLedger(keySpace: settings.environment.keySpace, redis: redis, replication: settings.environment.replication)
        self.health = health
        self.registry = registry
        self.logger = logger
    }

    public func router() -> Router<BaedalContext> {
        let router = Router(context: BaedalContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable()
        RequestTracing.add(to: router)
        router.add(middleware: HTTPMetrics())
        if settings.accessLog { router.add(middleware: AccessLog(logger: logger)) }
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AllowedMethods(table: routes))
        HealthController(health: health, registry: registry, details: { [] }).addRoutes(to: router)
        router.post("/payments") { request, _ in try await approve(request) }
        router.get("/payments") { request, _ in
            guard let orderId = request.uri.queryParameters.get("orderId"), !orderId.isEmpty else {
                throw APIError.badRequest("the query parameter 'orderId' is required")
            }
            guard let payment = try await ledger.find(orderId: orderId) else { throw APIError.notFound("no payment for order '\(orderId)'") }
            return JSONBody.response(payment.json)
        }
        router.get("/payments/:paymentId") { _, context in
            let paymentId = try context.parameters.id("paymentId")
            guard let payment = try await ledger.find(paymentId) else { throw APIError.notFound("no payment '\(paymentId)'") }
            return JSONBody.response(payment.json)
        }
        router.post("/payments/:paymentId/cancel") { _, context in
            let paymentId = try context.parameters.id("paymentId")
            guard let payment = try await ledger.cancel(paymentId, at: epochMilliseconds()) else {
                throw APIError.notFound("no payment '\(paymentId)'")
            }
            logger.info("payment cancelled", metadata: ["orderId": "\(payment.orderId)", "paymentId": "\(paymentId)"])
            return JSONBody.response(payment.json)
        }
        routes.load(from: router)
        return router
    }

    func approve(_ request: Request) async throws -> Response {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw APIError.badRequest("an Idempotency-Key header is required")
        }
        let (orderId, customerId, amount) = try await JSONBody.read(request) { reader throws(JSONReader.Failure) in
            var orderId: String?, customerId: String?, amount: Int?
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "orderId": orderId = try reader.readString()
                case "customerId": customerId = try reader.readString()
                case "amount": amount = try reader.readInt()
                default: try reader.skipValue()
                }
            }
            return (try JSONReader.required(orderId, "orderId", in: reader), try JSONReader.required(customerId, "customerId", in: reader),
                    try JSONReader.required(amount, "amount", in: reader))
        }
        guard (1...OrderLimits.maxSafeInteger).contains(amount) else {
            throw APIError(.unprocessableContent, "invalid_amount", "amount must be 1…\(OrderLimits.maxSafeInteger) won, got \(amount)")
        }
        for (name, id) in [("orderId", orderId), ("customerId", customerId)] {
            if let problem = Identifier.problem(id) { throw APIError.badRequest("\(name) \(problem)") }
        }
        guard key.utf8.count <= 200 else { throw APIError.badRequest("Idempotency-Key must be 1…200 characters") }
        let delay = Int.random(in: settings.latency)
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        if let limit = settings.declineAbove, amount > limit {
            logger.info("payment declined", metadata: ["orderId": "\(orderId)", "amount": "\(amount)"])
            return JSONBody.response(#"{"error":"declined","message":"the amount is above the card's limit"}"#,
                                     status: .init(code: 402, reasonPhrase: "Payment Required"))
        }
        let payment = Payment(paymentId: ledger.newPaymentId(for: orderId), orderId: orderId, customerId: customerId, amount: amount, status: .approved)
        let outcome = try await ledger.approve(payment, idempotencyKey: key, at: epochMilliseconds())
        let stored: Payment
        switch outcome {
        case .approved(let approved):
            stored = approved
            logger.info("payment approved", metadata: ["orderId": "\(orderId)", "paymentId": "\(approved.paymentId)", "amount": "\(amount)"])
        case .repeated(let first):
            stored = first
        }
        return JSONBody.response(JSONWriter.object { json in
            json.field("paymentId", stored.paymentId)
            json.field("status", stored.status.rawValue)
        }, status: .created)
    }
}
