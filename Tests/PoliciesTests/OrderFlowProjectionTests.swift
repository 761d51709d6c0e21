import Contract
import Dashboards
import Testing

@Suite("Orders per minute by status (pure, no Redis)")
struct OrderFlowProjectionTests {
    let projection = OrderFlowProjection(keys: Keys(prefix: "baedal"))

    @Test func eachStatusChangeCountsInTheMinuteOfItsEvent() throws {
        let at: Int64 = 1_700_000_059_999  // the last millisecond of minute 28,333,334
        let transitions: [(String, StreamName, String)] = [
            ("OrderPlaced", .order, "placed"), ("OrderAccepted", .store, "accepted"), ("OrderRejected", .store, "rejected"),
            ("CookingStarted", .store, "cooking"), ("CookingFinished", .store, "cooked"), ("DeliveryPicked", .delivery, "picked"),
            ("DeliveryCompleted", .delivery, "delivered"), ("OrderCompleted", .order, "completed"), ("OrderCancelled", .order, "cancelled"),
        ]
        for (type, stream, status) in transitions {
            let effects = projection.effects(of: EventEnvelope(type: type, orderId: "o1", at: at, data: "{}"), type: try #require(EventType.on(stream, type)))
            let key = "baedal:dashboard:orders-per-minute:28333334"
            #expect(effects.writes == [
                .increment(hash: key, field: status, by: 1),
                .expire(key: key, type: .hash, atSeconds: 28_333_335 * 60 + 7_200),
            ], "\(type)")
        }
    }

    @Test func otherEventsAndEventsWithoutATimeCountNothing() {
        #expect(projection.effects(of: EventEnvelope(type: "DeliveryOpened", orderId: "o1", at: 1, data: "{}"), type: .deliveryOpened) == .none)
        #expect(projection.effects(of: EventEnvelope(type: "PaymentApproved", orderId: "o1", at: 1, data: "{}"), type: .paymentApproved) == .none)
        #expect(EventType.on(.store, "OrderPlaced") == nil, "the right name on the wrong stream is no event")
        #expect(projection.effects(of: EventEnvelope(type: "OrderPlaced", orderId: "o1", at: 0, data: "{}"), type: .orderPlaced) == .none)
    }
}
