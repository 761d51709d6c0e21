import Contract
import Dashboards
import Testing

@Suite("Dashboard projection (pure, no Redis)")
struct DashboardProjectionTests {
    let projection = DashboardProjection(keys: Keys(prefix: "baedal"))
    var keys: DashboardProjection { projection }

    /// What the projection writes for an entry of `type` on `stream`, routed as the projector
    /// routes it (the right name on the wrong stream is no event), its data read once.
    func effects(_ type: String, _ data: String, on stream: StreamName) throws(MalformedEvent) -> Effects {
        let event = EventEnvelope(type: type, orderId: "o1", at: 0, data: data)
        guard let known = EventType.on(stream, type) else { return .none }
        let reads: Set<EventType> = [.orderPlaced, .orderCancelled, .orderRejected, .deliveryPicked]
        return try projection.effects(of: event, type: known, data: reads.contains(known) ? try event.decoded() : EventData())
    }

    let items = #"{"orderId":"o1","items":[{"foodId":"pizza","qty":2,"price":9000},{"foodId":"cola","qty":1,"price":2000}],"amount":20000}"#

    @Test func keysAreTheContractsHashes() {
        #expect(keys.foodOrders == "baedal:dashboard:food-orders")
        #expect(keys.riderDeliveries == "baedal:dashboard:rider-deliveries")
    }

    @Test func placedAddsUnitsPerFood() throws {
        let effects = try effects("OrderPlaced", items, on: .order)
        #expect(effects.writes == [
            .increment(hash: keys.foodOrders, field: "pizza", by: 2),
            .increment(hash: keys.foodOrders, field: "cola", by: 1),
        ])
    }

    @Test func cancelledAndRejectedTakeThemBack() throws {
        for (type, stream) in [("OrderCancelled", StreamName.order), ("OrderRejected", .store)] {
            let effects = try effects(type, items, on: stream)
            #expect(effects.writes == [
                .increment(hash: keys.foodOrders, field: "pizza", by: -2),
                .increment(hash: keys.foodOrders, field: "cola", by: -1),
            ])
        }
    }

    @Test func pickedCountsADeliveryForTheRider() throws {
        let effects = try effects("DeliveryPicked", #"{"orderId":"o1","riderId":"r7"}"#, on: .delivery)
        #expect(effects.writes == [.increment(hash: keys.riderDeliveries, field: "r7", by: 1)])
    }

    @Test(arguments: [
        ("OrderAccepted", StreamName.store), ("CookingFinished", .store), ("OrderCompleted", .order),
        ("DeliveryCompleted", .delivery), ("PaymentApproved", .payment), ("SomethingNew", .order),
        // The right name on the wrong stream is not the contract's event.
        ("OrderPlaced", .delivery), ("DeliveryPicked", .order),
    ])
    func otherEventsChangeNothing(_ type: String, _ stream: StreamName) throws {
        #expect(try effects(type, "not even JSON", on: stream) == .none)
    }

    @Test(arguments: [
        ("OrderPlaced", "not json"),
        ("OrderPlaced", #"{"orderId":"o1"}"#),
        ("OrderPlaced", #"{"items":[{"foodId":"pizza","qty":"two"}]}"#),
        ("OrderPlaced", #"{"items":[{"foodId":"pizza","qty":2.5}]}"#),
        ("OrderPlaced", #"{"items":[{"qty":1}]}"#),
        ("OrderPlaced", #"{"items":[{"foodId":"","qty":1}]}"#),
        ("OrderPlaced", #"{"items":[{"foodId":"pizza","qty":0}]}"#),
        ("OrderCancelled", #"{"items":null}"#),
        ("OrderPlaced", #"[1,2]"#),
    ])
    func malformedOrderDataIsRejectedWithAReason(_ type: String, _ data: String) {
        do {
            _ = try effects(type, data, on: .order)
            Issue.record("accepted \(data)")
        } catch {
            #expect(error.reason.hasPrefix(type), "\(error.reason)")
        }
    }

    @Test func malformedRiderDataIsRejected() {
        #expect(throws: MalformedEvent.self) { try effects("DeliveryPicked", #"{"riderId":5}"#, on: .delivery) }
        #expect(throws: MalformedEvent.self) { try effects("DeliveryPicked", #"{}"#, on: .delivery) }
    }

    @Test func reasonsNameTheField() {
        do {
            _ = try effects("OrderPlaced", #"{"items":[{"foodId":"pizza","qty":"two"}]}"#, on: .order)
        } catch {
            #expect(error.reason.contains("items[0].qty"))
        }
    }
}
