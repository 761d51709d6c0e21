import Contract
import Crypto
import JSON
import Logging
import Metrics
import Orders
import PaymentGatewayAPI
import Payments
import Stores

/// The use case "place an order": priced on the server from the menu, charged synchronously,
/// committed with its `OrderPlaced` in one step. Only a paid order exists, and no charge
/// outlives a failure:
/// - the gateway declines: `PlaceOrderError.paymentDeclined`, nothing written;
/// - the gateway is down, slow, or its circuit open: `paymentUnavailable`, nothing written; a
///   charge whose answer never came is handed to `payment-refund` to settle (`PaymentVoids`);
/// - the charge went through but the order could not be written: the payment is cancelled at once.
/// With an `Idempotency-Key` the order id derives from the customer and the key, so a repeat,
/// even a concurrent one, is the same order and the same payment.
public struct PlaceOrder: Sendable {
    public struct Request: Sendable {
        public var storeId: String
        public var items: [(foodId: String, qty: Int)]
        public var region: String
        public var address: String

        public init(storeId: String, items: [(foodId: String, qty: Int)], region: String, address: String) {
            self.storeId = storeId
            self.items = items
            self.region = region
            self.address = address
        }
    }

    let catalog: any StoreCatalog
    let orders: any OrderRepository
    let voids: any PaymentVoids
    let gateway: any PaymentCharging
    let breaker: CircuitBreaker
    let logger: Logger
    let now: EpochClock
    private let placedCounter = Counter(label: "baedal_orders_placed_total")
    private let refusedCounter = Counter(label: "baedal_payment_refused_total")

    public init(catalog: any StoreCatalog, orders: any OrderRepository, voids: any PaymentVoids, gateway: any PaymentCharging,
                breaker: CircuitBreaker, logger: Logger, now: @escaping EpochClock = epochMilliseconds) {
        self.catalog = catalog
        self.orders = orders
        self.voids = voids
        self.gateway = gateway
        self.breaker = breaker
        self.logger = logger
        self.now = now
    }

    /// The receipt (`{"orderId","status","amount","paymentId"}`); a repeat of the same key with
    /// the same request gets the first one, with another request `idempotencyKeyMismatch`.
    public func callAsFunction(_ request: Request, by customer: Actor, idempotencyKey: String?) async throws -> String {
        let fingerprint = request.fingerprint
        if let idempotencyKey, let first = try await orders.receipt(customer: customer.id, idempotencyKey: idempotencyKey) {
            return try IdempotencyRecord(first).receipt(for: fingerprint)
        }
        guard let menu = try await catalog.menu(of: request.storeId) else { throw StoreError.notFound(request.storeId) }
        let priced = try Order.price(request.items, menu: menu.prices)
        let amount = priced.amount
        let orderId = idempotencyKey.map { Self.orderId(customer: customer.id, idempotencyKey: $0) } ?? Identifier.random("o-")
        var logger = self.logger
        logger[metadataKey: "orderId"] = "\(orderId)"

        // The gateway's key is the order id: one charge per order, whoever else uses what key.
        let payment = try await charge(orderId: orderId, customerId: customer.id, amount: amount, logger: logger)
        let placedAt = now()
        let change = Order.place(id: orderId, customerId: customer.id, storeId: request.storeId, priced: priced,
                                 region: request.region, address: request.address, paymentId: payment.paymentId, at: placedAt)
        let receipt = Self.receipt(change.order)
        let result: OrderCommitOutcome
        do {
            let remembered = idempotencyKey.map {
                OrderReceipt(customer: customer.id, idempotencyKey: $0, record: IdempotencyRecord(fingerprint: fingerprint, receipt: receipt).stored)
            }
            result = try await orders.commit(change, receipt: remembered, unlessVoided: true)
        } catch let error as any UncertainWrite where error.mayHaveWritten {
            // Written on the primary but not (known to be) on its replicas: the order may stand or
            // may be lost in a failover. payment-refund settles the charge later, voiding it only
            // if no order exists then; a retry with the same key meanwhile finds the order.
            logger.warning("the order's commit is not confirmed; payment-refund will settle its charge",
                           metadata: ["paymentId": "\(payment.paymentId)", "error": "\(error)"])
            await requestVoid(orderId: orderId, customerId: customer.id, reason: "commit not confirmed: \(error)", logger: logger)
            throw error
        } catch let error as any UncertainWrite where error.isPassing {
            // Not written, and the store will take it shortly (a failover, a cluster slot moving):
            // the charge is kept for the customer's retry with the same key (the gateway answers
            // it with this payment) and handed to payment-refund, which voids it only if no order
            // exists once the retry had its time. Only if that cannot be recorded is it cancelled.
            logger.warning("the order could not be written yet (the store is failing over or moving it); its charge waits for a retry",
                           metadata: ["paymentId": "\(payment.paymentId)", "error": "\(error)"])
            if !(await requestVoid(orderId: orderId, customerId: customer.id, reason: "commit refused for now: \(error)", logger: logger)) {
                await cancel(payment, customerId: customer.id, logger: logger)
            }
            throw error
        } catch {
            logger.error("the order could not be written after its payment was approved; cancelling the payment",
                         metadata: ["paymentId": "\(payment.paymentId)", "error": "\(error)"])
            await cancel(payment, customerId: customer.id, logger: logger)
            throw error
        }
        switch result {
        case .committed:
            placedCounter.increment()
            logger.info("order placed", metadata: ["storeId": "\(request.storeId)", "amount": "\(change.order.amount)", "paymentId": "\(payment.paymentId)"])
            return receipt
        case .duplicate(let first):
            // A concurrent request with the same key won; it used the same payment (same key at the gateway).
            return try IdempotencyRecord(first).receipt(for: fingerprint)
        case .voided:
            // payment-refund voided this order id's charge first: it must not become an order.
            await cancel(payment, customerId: customer.id, logger: logger)
            throw PlaceOrderError.paymentVoided(paymentId: payment.paymentId)
        case .conflict:
            // The same key again after its record expired: the order exists; show it if it is this one.
            if let existing = try await orders.load(orderId), existing.customerId == customer.id, existing.paymentId == payment.paymentId {
                return Self.receipt(existing)
            }
            await cancel(payment, customerId: customer.id, logger: logger)
            throw PlaceOrderError.idempotencyKeyReused
        }
    }

    /// The synchronous call, behind the circuit breaker.
    private func charge(orderId: String, customerId: String, amount: Int, logger: Logger) async throws(PlaceOrderError) -> Payment {
        if case .refused(let retryAfter) = breaker.acquire() {
            refusedCounter.increment()
            throw .paymentUnavailable(.circuitOpen(retryAfter: retryAfter), retryAfter: retryAfter)
        }
        do {
            let payment = try await gateway.charge(orderId: orderId, customerId: customerId, amount: amount, idempotencyKey: orderId)
            breaker.succeeded()
            return payment
        } catch .voided(let paymentId) {
            breaker.succeeded()
            throw .paymentVoided(paymentId: paymentId)
        } catch .declined {
            breaker.succeeded()
            logger.info("payment declined", metadata: ["amount": "\(amount)"])
            throw .paymentDeclined(amount: amount)
        } catch {
            breaker.failed()
            logger.warning("payment failed", metadata: ["error": "\(error)", "circuit": "\(breaker.state.rawValue)"])
            if error.outcomeUnknown {
                await requestVoid(orderId: orderId, customerId: customerId, reason: error.description, logger: logger)
            }
            throw .paymentUnavailable(error, retryAfter: .seconds(2))
        }
    }

    /// The order id of a request with an `Idempotency-Key`: SHA-256 of the customer's id and the
    /// key (NUL between them: an id holds no NUL), so no two customers or keys can meet in one
    /// order, however they are crafted.
    public static func orderId(customer: String, idempotencyKey: String) -> String {
        let digest = SHA256.hash(data: Array("\(customer)\u{0}\(idempotencyKey)".utf8))
        return "o-" + digest.prefix(12).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// `{"orderId","status","amount","paymentId"}`, what placing an order answers.
    public static func receipt(_ order: Order) -> String {
        JSONWriter.object { json in
            json.field("orderId", order.id)
            json.field("status", order.status.rawValue)
            json.field("amount", order.amount)
            json.field("paymentId", order.paymentId)
        }
    }

    private func cancel(_ payment: Payment, customerId: String, logger: Logger) async {
        do {
            try await gateway.cancel(paymentId: payment.paymentId)
            logger.notice("payment cancelled: it has no order", metadata: ["paymentId": "\(payment.paymentId)"])
        } catch {
            await requestVoid(orderId: payment.orderId, customerId: customerId, reason: "cancel failed: \(error)", logger: logger)
        }
    }

    /// Hands an uncertain charge to `payment-refund`, which cancels it if the gateway made it;
    /// false when the request could not be recorded.
    @discardableResult
    private func requestVoid(orderId: String, customerId: String, reason: String, logger: Logger) async -> Bool {
        do {
            try await voids.request(orderId: orderId, customerId: customerId, reason: reason, at: now())
            logger.notice("asked payment-refund to settle an unanswered charge", metadata: ["reason": "\(reason)"])
            return true
        } catch {
            logger.critical("an unanswered charge could not be recorded; check the gateway for this order by hand",
                            metadata: ["reason": "\(reason)", "error": "\(error)"])
            return false
        }
    }
}
