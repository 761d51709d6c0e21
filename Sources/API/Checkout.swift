import Backbone
import Crypto
import Logging
import Metrics
import Orders
import Payments
import Redis
import Stores

/// Placing an order: priced on the server from the menu, charged synchronously, committed with
/// its `OrderPlaced` in one step. Only a paid order exists, and no charge outlives a failure:
/// - the gateway declines: 402, nothing written;
/// - the gateway is down, slow, or its circuit open: 503 with `Retry-After`, nothing written;
///   a charge whose answer never came is handed to `payment-refund` to settle (`payment-voids`);
/// - the charge went through but the order could not be written: the payment is cancelled at once.
/// With an `Idempotency-Key` the order id derives from the customer and the key, so a repeat,
/// even a concurrent one, is the same order and the same payment.
public struct Checkout: Sendable {
    public struct Request: Sendable {
        public var storeId: String
        public var items: [(foodId: String, qty: Int)]
        public var region: String
        public var address: String
    }


    let keys: Keys
    let catalog: StoreCatalog
    let orders: OrderRepository
    let gateway: PaymentGatewayClient
    let breaker: CircuitBreaker
    let pool: RedisPool
    let logger: Logger
    private let placedCounter = Counter(label: "baedal_orders_placed_total")
    private let refusedCounter = Counter(label: "baedal_payment_refused_total")

    public init(keys: Keys, catalog: StoreCatalog, orders: OrderRepository, gateway: PaymentGatewayClient,
                breaker: CircuitBreaker, pool: RedisPool, logger: Logger) {
        self.keys = keys
        self.catalog = catalog
        self.orders = orders
        self.gateway = gateway
        self.breaker = breaker
        self.pool = pool
        self.logger = logger
    }

    /// The 201 body, `{"orderId","status","amount","paymentId"}`; a repeat of the same key gets the first one.
    public func place(_ request: Request, by customer: Actor, idempotencyKey: String?) async throws -> String {
        // The key is the customer's own: scoped by their id, every part escaped in the key.
        let rememberedKey = idempotencyKey.map { keys.idempotency("order", customer.id, key: $0) }
        if let rememberedKey, let first = try await pool.send(RedisCommand("GET", rememberedKey)).string {
            return first
        }
        guard let menu = try await catalog.menu(of: request.storeId) else { throw OrderError.storeNotFound(request.storeId) }
        let lines = try Order.price(request.items, menu: menu.prices)
        let amount = try Order.amount(of: lines)
        let orderId = idempotencyKey.map { Self.orderId(customer: customer.id, idempotencyKey: $0) } ?? randomIdentifier("o-")
        var logger = self.logger
        logger[metadataKey: "orderId"] = "\(orderId)"

        // The gateway's key is the order id: one charge per order, whoever else uses what key.
        let payment = try await charge(orderId: orderId, customerId: customer.id, amount: amount, paymentKey: orderId, logger: logger)
        let now = epochMilliseconds()
        let change = try Order.place(id: orderId, customerId: customer.id, storeId: request.storeId, lines: lines,
                                     region: request.region, address: request.address, paymentId: payment.paymentId, at: now)
        let json = Self.receipt(change.order)
        let result: CommitResult
        do {
            result = try await orders.commit(change, at: now, idempotency: rememberedKey.map { .init(key: $0, result: json) },
                                             blockedBy: PaymentRefund.voidMarker(keys, orderId: orderId))
        } catch {
            logger.error("the order could not be written after its payment was approved; cancelling the payment",
                         metadata: ["paymentId": "\(payment.paymentId)", "error": "\(error)"])
            await cancelPayment(payment, orderId: orderId, customerId: customer.id, logger: logger)
            throw error
        }
        switch result {
        case .committed:
            placedCounter.increment()
            logger.info("order placed", metadata: ["storeId": "\(request.storeId)", "amount": "\(change.order.amount)", "paymentId": "\(payment.paymentId)"])
            return json
        case .duplicate(let first):
            // A concurrent request with the same key won; it used the same payment (same key at the gateway).
            return first
        case .blocked:
            // payment-refund voided this order id's charge first: it must not become an order.
            await cancelPayment(payment, orderId: orderId, customerId: customer.id, logger: logger)
            throw Self.voided(payment.paymentId)
        case .conflict:
            // The same key again after its record expired: the order exists; show it if it is this one.
            if let existing = try await orders.load(orderId), existing.customerId == customer.id, existing.paymentId == payment.paymentId {
                return Self.receipt(existing)
            }
            await cancelPayment(payment, orderId: orderId, customerId: customer.id, logger: logger)
            throw APIError(.conflict, "idempotency_key_reused", "this Idempotency-Key was used for another order")
        }
    }

    /// The synchronous call, behind the circuit breaker.
    private func charge(orderId: String, customerId: String, amount: Int, paymentKey: String, logger: Logger) async throws -> Payment {
        if case .refused(let retryAfter) = breaker.acquire() {
            refusedCounter.increment()
            throw APIError.unavailable("payment_unavailable", PaymentFailure.circuitOpen(retryAfter: retryAfter).description + "; nothing was charged",
                                       retryAfterSeconds: Int((retryAfter / .seconds(1)).rounded(.up)))
        }
        do {
            let payment = try await gateway.charge(orderId: orderId, customerId: customerId, amount: amount, idempotencyKey: paymentKey)
            breaker.succeeded()
            return payment
        } catch .voided(let paymentId) {
            breaker.succeeded()
            throw Self.voided(paymentId)
        } catch .declined {
            breaker.succeeded()
            logger.info("payment declined", metadata: ["amount": "\(amount)"])
            throw APIError(.init(code: 402, reasonPhrase: "Payment Required"), "payment_declined", "the payment of \(amount) won was declined; no order was placed")
        } catch {
            breaker.failed()
            logger.warning("payment failed", metadata: ["error": "\(error)", "circuit": "\(breaker.state.rawValue)"])
            if error.outcomeUnknown {
                await requestVoid(orderId: orderId, customerId: customerId, reason: error.description, logger: logger)
            }
            throw APIError.unavailable("payment_unavailable", "\(error); no order was placed and nothing stays charged, try again shortly",
                                       retryAfterSeconds: 2)
        }
    }

    /// The order id of a request with an `Idempotency-Key`: SHA-256 of the customer's id and the
    /// key (NUL between them: an id holds no NUL), so no two customers or keys can meet in one
    /// order, however they are crafted.
    static func orderId(customer: String, idempotencyKey: String) -> String {
        let digest = SHA256.hash(data: Array("\(customer)\u{0}\(idempotencyKey)".utf8))
        return "o-" + digest.prefix(12).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// `{"orderId","status","amount","paymentId"}`, what `POST /orders` answers.
    static func receipt(_ order: Order) -> String {
        JSONWriter.object { json in
            json.field("orderId", order.id)
            json.field("status", order.status.rawValue)
            json.field("amount", order.amount)
            json.field("paymentId", order.paymentId)
        }
    }

    static func voided(_ paymentId: String) -> APIError {
        APIError(.conflict, "payment_voided",
                 "the payment of this Idempotency-Key (\(paymentId)) was cancelled after the gateway did not answer in time; place the order again with a new key")
    }

    private func cancelPayment(_ payment: Payment, orderId: String, customerId: String, logger: Logger) async {
        do {
            try await gateway.cancel(paymentId: payment.paymentId)
            logger.notice("payment cancelled: it has no order", metadata: ["paymentId": "\(payment.paymentId)"])
        } catch {
            await requestVoid(orderId: orderId, customerId: customerId, reason: "cancel failed: \(error)", logger: logger)
        }
    }

    /// Hands an uncertain charge to `payment-refund`, which cancels it if the gateway made it.
    private func requestVoid(orderId: String, customerId: String, reason: String, logger: Logger) async {
        let entry = PaymentRefund.voidRequest(orderId: orderId, customerId: customerId, reason: reason, at: epochMilliseconds())
        var command = RedisCommand("XADD", keys.stream(.paymentVoids), "*")
        for (name, value) in entry.fields { command.append(name); command.append(value) }
        do {
            _ = try await pool.send(command)
            logger.notice("asked payment-refund to settle an unanswered charge", metadata: ["reason": "\(reason)"])
        } catch {
            logger.critical("an unanswered charge could not be recorded; check the gateway for this order by hand",
                            metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }
}
