import Contract
import InMemoryAdapters
import Logging
import Orders
import PaymentGatewayAPI
import Payments
import Synchronization
import Testing

/// `payment-refund` with a gateway of the test's own (it records what it is asked) and the
/// orders and void marks in memory: refunds, the settling of unanswered charges, and the
/// gateway's own cancels. No Redis: the policy is pure over its ports.
@Suite("payment-refund's decisions")
struct PaymentRefundTests {
    final class Gateway: PaymentGateway, Sendable {
        let payments = Mutex<[String: Payment]>([:])
        let cancelled = Mutex<[String]>([])

        func cancel(paymentId: String) async throws(PaymentFailure) {
            cancelled.withLock { $0.append(paymentId) }
        }

        func payment(forOrder orderId: String) async throws(PaymentFailure) -> Payment? {
            payments.withLock { $0[orderId] }
        }
    }

    let orders = InMemoryOrderRepository()
    let voids = InMemoryPaymentVoids()
    let keys = Keys(prefix: "baedal")
    let gateway = Gateway()
    final class Clock: Sendable {
        let now = Mutex<Int64>(1_000_000)
    }
    let clock = Clock()

    var handle: Handler {
        PaymentRefund.policy(keys: keys, gateway: gateway, orders: orders, voids: voids, logger: Logger(label: "test"),
                             now: { [clock] in clock.now.withLock { $0 } }).handle
    }

    func place(_ id: String, _ status: OrderStatus) async throws {
        var order = Order.place(id: id, customerId: "c-1", storeId: "s-1", priced: try Order.Priced(lines: [OrderLine(foodId: "f", qty: 1, price: 1_000)]),
                                region: "gangnam", address: "a", paymentId: "p-\(id)", at: 1).order
        order.status = status
        _ = try await orders.commit(OrderChange(order: order, events: []), receipt: nil, unlessVoided: false)
    }

    func message(_ stream: StreamName, _ type: String, orderId: String, at: Int64 = 1_000_000, _ data: String) -> StreamMessage {
        StreamMessage(stream: keys.stream(stream), id: "1-0", fields: [
            StreamField("type", type), StreamField("orderId", orderId), StreamField("at", String(at)), StreamField("data", data),
        ])
    }

    @Test func aCancelOrRejectionRefundsItsPayment() async throws {
        _ = try await handle(message(.order, "OrderCancelled", orderId: "o-1", #"{"paymentId":"p-1","customerId":"c-1"}"#))
        _ = try await handle(message(.store, "OrderRejected", orderId: "o-2", #"{"paymentId":"p-2","customerId":"c-1"}"#))
        #expect(gateway.cancelled.withLock { $0 } == ["p-1", "p-2"])
        await #expect(throws: MalformedEvent.self) { try await handle(message(.order, "OrderCancelled", orderId: "o-3", #"{}"#)) }
    }

    @Test func anUnansweredChargeIsVoidedOnlyWhenItWasMadeAndNoOrderExists() async throws {
        let request = #"{"orderId":"o-9","customerId":"c-1","reason":"timed out"}"#
        // The gateway knows nothing yet and the request is young: it may still be approving it.
        await #expect(throws: PaymentRefund.Unsettled.self) { try await handle(message(.paymentVoids, EventType.paymentVoidRequested.rawValue, orderId: "o-9", request)) }
        // Even an approved charge waits while young: the customer's retry with the same key may place its order.
        gateway.payments.withLock { $0["o-7"] = Payment(paymentId: "p-7", orderId: "o-7", customerId: "c-1", amount: 1_000, status: .approved) }
        await #expect(throws: PaymentRefund.Unsettled.self) { try await handle(message(.paymentVoids, EventType.paymentVoidRequested.rawValue, orderId: "o-7", request)) }
        #expect(gateway.cancelled.withLock { $0 }.isEmpty)
        // Old enough: the charge was never made.
        clock.now.withLock { $0 += PaymentRefund.settleAfterMilliseconds + 1 }
        #expect(try await handle(message(.paymentVoids, EventType.paymentVoidRequested.rawValue, orderId: "o-9", request)) == .none)
        #expect(gateway.cancelled.withLock { $0 }.isEmpty)
        // Made, and no order: marked (the order can no longer be placed), then cancelled.
        gateway.payments.withLock { $0["o-9"] = Payment(paymentId: "p-9", orderId: "o-9", customerId: "c-1", amount: 1_000, status: .approved) }
        _ = try await handle(message(.paymentVoids, EventType.paymentVoidRequested.rawValue, orderId: "o-9", request))
        #expect(gateway.cancelled.withLock { $0 } == ["p-9"])
        #expect(voids.marks == ["o-9"])
        // Made, but the order exists after all: nothing is cancelled.
        gateway.payments.withLock { $0["o-8"] = Payment(paymentId: "p-8", orderId: "o-8", customerId: "c-1", amount: 1_000, status: .approved) }
        try await place("o-8", .placed)
        _ = try await handle(message(.paymentVoids, EventType.paymentVoidRequested.rawValue, orderId: "o-8", request))
        #expect(gateway.cancelled.withLock { $0 } == ["p-9"])
    }

    @Test func theGatewaysOwnCancelCancelsALiveOrderAndFlagsAPickedOne() async throws {
        for (id, status) in [("o-live", OrderStatus.cooking), ("o-picked", .picked), ("o-done", .cancelled)] { try await place(id, status) }
        let data = { (id: String) in #"{"paymentId":"p-\#(id)","customerId":"c-1","amount":1000}"# }
        #expect(try await handle(message(.payment, "PaymentCancelled", orderId: "o-live", data("o-live"))) == .none)
        #expect(try await orders.load("o-live")?.status == .cancelled)
        #expect(orders.events.map(\.event) == [.orderCancelled(reason: PaymentCancellation.reason)])

        let flagged = try await handle(message(.payment, "PaymentCancelled", orderId: "o-picked", data("o-picked")))
        #expect(try await orders.load("o-picked")?.status == .picked)
        guard case .append(let stream, let fields) = flagged.writes.first else { Issue.record("no flag"); return }
        #expect(stream == keys.flags)
        #expect(fields.first?.value == Array("PaymentCancelledAfterPickup".utf8))

        #expect(try await handle(message(.payment, "PaymentCancelled", orderId: "o-done", data("o-done"))) == .none)
        #expect(try await handle(message(.payment, "PaymentCancelled", orderId: "o-none", data("o-none"))) == .none, "no such order")
    }
}
