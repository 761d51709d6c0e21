import Application
import Contract
import InMemoryAdapters
import Logging
import Orders
import PaymentGatewayAPI
import Payments
import Stores
import Synchronization
import Testing

/// The use case "place an order" with a gateway of the test's own (scripted answers, every call
/// recorded) and the repositories in memory: what is charged, written, voided and answered in
/// each case. No Redis: the use case speaks to ports.
@Suite("Placing an order")
struct PlaceOrderTests {
    final class Gateway: PaymentCharging, Sendable {
        let answer = Mutex<Result<Void, PaymentFailure>>(.success(()))
        let charges = Mutex<[(orderId: String, amount: Int, key: String)]>([])
        let cancelled = Mutex<[String]>([])

        func charge(orderId: String, customerId: String, amount: Int, idempotencyKey: String) async throws(PaymentFailure) -> Payment {
            charges.withLock { $0.append((orderId, amount, idempotencyKey)) }
            if case .failure(let failure) = answer.withLock({ $0 }) { throw failure }
            return Payment(paymentId: "p-" + idempotencyKey, orderId: orderId, customerId: customerId, amount: amount, status: .approved)
        }

        func cancel(paymentId: String) async throws(PaymentFailure) { cancelled.withLock { $0.append(paymentId) } }
        func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment? { nil }
    }

    let orders = InMemoryOrderRepository()
    let voids = InMemoryPaymentVoids()
    let gateway = Gateway()
    let breaker = CircuitBreaker(settings: .init(failureThreshold: 2, openDuration: .seconds(60)))
    let placeOrder: PlaceOrder
    let request = PlaceOrder.Request(storeId: "s-1", items: [("kimbap", 2), ("cola", 1)], region: "gangnam", address: "테헤란로 1")

    init() throws {
        let catalog = InMemoryStoreCatalog([(Store(storeId: "s-1", name: "김밥천국", region: "gangnam"), try Menu(items: [
            MenuItem(foodId: "kimbap", name: "김밥", price: 3_500), MenuItem(foodId: "cola", name: "콜라", price: 2_000),
        ]))])
        placeOrder = PlaceOrder(catalog: catalog, orders: orders, voids: voids, gateway: gateway, breaker: breaker, logger: Logger(label: "test"))
    }

    /// Orders placed (their `OrderPlaced` events).
    var placed: Int { orders.events.filter { $0.event == .orderPlaced }.count }

    @Test func aPaidOrderIsWrittenWithItsEventAndTheReceiptNamesIt() async throws {
        let receipt = try await placeOrder(request, by: .customer("c-1"), idempotencyKey: nil)
        let charge = try #require(gateway.charges.withLock { $0.first })
        #expect(charge.amount == 9_000)
        #expect(charge.key == charge.orderId, "the gateway is keyed by the order id")
        #expect(receipt == #"{"orderId":"\#(charge.orderId)","status":"placed","amount":9000,"paymentId":"p-\#(charge.orderId)"}"#)
        #expect(try await orders.load(charge.orderId)?.status == .placed)
        #expect(placed == 1)
    }

    @Test func theSameKeyIsTheSameOrderChargedOnce() async throws {
        let first = try await placeOrder(request, by: .customer("c-1"), idempotencyKey: "k-1")
        let again = try await placeOrder(request, by: .customer("c-1"), idempotencyKey: "k-1")
        #expect(first == again)
        #expect(gateway.charges.withLock { $0.count } == 1)
        let other = try await placeOrder(request, by: .customer("c-2"), idempotencyKey: "k-1")
        #expect(other != first, "another customer's key is another order")
    }

    @Test func aDeclineWritesNothing() async throws {
        gateway.answer.withLock { $0 = .failure(.declined) }
        await #expect(throws: PlaceOrderError.paymentDeclined(amount: 9_000)) { try await placeOrder(request, by: .customer("c-1"), idempotencyKey: nil) }
        #expect(placed == 0)
        #expect(voids.requests.isEmpty)
        #expect(breaker.state == .closed, "a decline is an answer, not a failure")
    }

    @Test func anUnansweredChargeIsHandedToPaymentRefundAndTheCircuitOpens() async throws {
        gateway.answer.withLock { $0 = .failure(.timedOut) }
        for _ in 0..<2 {
            await #expect(throws: PlaceOrderError.self) { try await placeOrder(request, by: .customer("c-1"), idempotencyKey: nil) }
        }
        #expect(voids.requests.count == 2, "both timed-out charges are to be settled")
        #expect(placed == 0)
        #expect(breaker.state == .open)
        // Open: the gateway is not even asked.
        do {
            _ = try await placeOrder(request, by: .customer("c-1"), idempotencyKey: nil)
            Issue.record("placed through an open circuit")
        } catch let error as PlaceOrderError {
            guard case .paymentUnavailable(let failure, _) = error else { Issue.record("\(error)"); return }
            #expect(failure.isCircuitOpen)
        }
        #expect(gateway.charges.withLock { $0.count } == 2)
    }

    @Test func aChargeVoidedMeanwhileNeverBecomesAnOrder() async throws {
        let orderId = PlaceOrder.orderId(customer: "c-1", idempotencyKey: "k-void")
        orders.markVoided(orderId)
        await #expect(throws: PlaceOrderError.paymentVoided(paymentId: "p-\(orderId)")) {
            try await placeOrder(request, by: .customer("c-1"), idempotencyKey: "k-void")
        }
        #expect(gateway.cancelled.withLock { $0 } == ["p-\(orderId)"], "the late charge is cancelled at once")
        #expect(placed == 0)
    }

    /// A store that refuses the first commit with an error that passes (a failover, a cluster
    /// slot moving: the commit did not run), then works.
    final class RefusingOnce: OrderRepository {
        struct SlotMoving: UncertainWrite, Equatable {
            var mayHaveWritten: Bool { false }
            var isPassing: Bool { true }
        }
        let base: InMemoryOrderRepository
        let refusals = Mutex(1)
        init(_ base: InMemoryOrderRepository) { self.base = base }
        func load(_ orderId: String) async throws -> Order? { try await base.load(orderId) }
        func load(_ orderIds: [String]) async throws -> [Order] { try await base.load(orderIds) }
        func statuses(_ orderIds: [String]) async throws -> [OrderStatus?] { try await base.statuses(orderIds) }
        func exists(_ orderId: String) async throws -> Bool { try await base.exists(orderId) }
        func receipt(customer: String, idempotencyKey: String) async throws -> String? { try await base.receipt(customer: customer, idempotencyKey: idempotencyKey) }
        func commit(_ change: OrderChange, receipt: OrderReceipt?, unlessVoided: Bool) async throws -> OrderCommitOutcome {
            let refuse = refusals.withLock { count in
                defer { count -= 1 }
                return count > 0
            }
            if refuse { throw SlotMoving() }
            return try await base.commit(change, receipt: receipt, unlessVoided: unlessVoided)
        }
    }

    /// A commit refused by a store that is failing over (or a cluster slot that is moving) did
    /// not run: the charge is not cancelled (that would burn the customer's key) but handed to
    /// payment-refund to settle later, and the retry with the same key places the order with it.
    @Test func aCommitRefusedForNowKeepsTheChargeForARetryWithTheSameKey() async throws {
        let catalog = InMemoryStoreCatalog([(Store(storeId: "s-1", name: "김밥천국", region: "gangnam"), try Menu(items: [
            MenuItem(foodId: "kimbap", name: "김밥", price: 3_500), MenuItem(foodId: "cola", name: "콜라", price: 2_000),
        ]))])
        let placeOrder = PlaceOrder(catalog: catalog, orders: RefusingOnce(orders), voids: voids, gateway: gateway, breaker: breaker, logger: Logger(label: "test"))
        await #expect(throws: RefusingOnce.SlotMoving()) { try await placeOrder(request, by: .customer("c-1"), idempotencyKey: "k-moving") }
        #expect(gateway.cancelled.withLock { $0.isEmpty }, "the charge is kept for the retry")
        #expect(voids.requests.count == 1, "and handed to payment-refund in case no retry comes")
        let receipt = try await placeOrder(request, by: .customer("c-1"), idempotencyKey: "k-moving")
        let orderId = PlaceOrder.orderId(customer: "c-1", idempotencyKey: "k-moving")
        #expect(receipt.contains(#""paymentId":"p-\#(orderId)""#))
        #expect(placed == 1)
        #expect(gateway.cancelled.withLock { $0.isEmpty })
    }

    @Test func unknownStoresAndFoodsAreRefusedBeforeAnyCharge() async throws {
        var unknownStore = request
        unknownStore.storeId = "s-none"
        await #expect(throws: StoreError.notFound("s-none")) { try await placeOrder(unknownStore, by: .customer("c-1"), idempotencyKey: nil) }
        var unknownFood = request
        unknownFood.items = [("pizza", 1)]
        await #expect(throws: OrderError.unknownFood("pizza")) { try await placeOrder(unknownFood, by: .customer("c-1"), idempotencyKey: nil) }
        #expect(gateway.charges.withLock { $0.isEmpty })
    }
}
