import Contract
import Backbone
import Deliveries
import Notifications
import Orders
import Redis
import Stores
import Testing

/// Each policy's decision on its own, without Redis: a message in, the writes it asks for out.
@Suite("Policies' decisions (pure, no Redis)")
struct PolicyDecisionTests {
    let keys = Keys(prefix: "baedal")

    func message(_ stream: StreamName, _ type: String, orderId: String = "o-1", at: Int64 = 1_700_000_000_000, _ data: String) -> StreamMessage {
        StreamMessage(stream: keys.stream(stream), id: "1-0", fields: [
            StreamField("type", type), StreamField("orderId", orderId), StreamField("at", String(at)), StreamField("data", data),
        ])
    }

    // MARK: store-inbox

    @Test func storeInboxPutsAPlacedOrderOnItsStoresBoard() throws {
        let effects = try StoreInbox.effects(of: message(.order, "OrderPlaced", #"{"storeId":"s-1","customerId":"c-1"}"#), keys: keys)
        #expect(effects.writes == [.add(sortedSet: "baedal:store:s-1:board", member: "o-1", score: 1_700_000_000_000)])
        #expect(try StoreInbox.effects(of: message(.order, "OrderCancelled", #"{"storeId":"s-1"}"#), keys: keys) == .none)
        #expect(throws: MalformedEvent.self) { try StoreInbox.effects(of: message(.order, "OrderPlaced", #"{"customerId":"c-1"}"#), keys: keys) }
        #expect(throws: MalformedEvent.self) { try StoreInbox.effects(of: message(.order, "OrderPlaced", #"{"storeId":"s:1"}"#), keys: keys) }
    }

    // MARK: delivery-dispatch

    @Test func deliveryDispatchOpensCancelsAndClearsTheRidersBoard() throws {
        let cooked = try DeliveryDispatch.effects(of: message(.store, "CookingFinished", #"{"storeId":"s-1","customerId":"c-1","region":"gangnam"}"#),
                                                  keys: keys, now: 42)
        #expect(cooked.writes.first == .add(sortedSet: "baedal:deliveries:gangnam:waiting", member: "o-1", score: 1_700_000_000_000))
        guard case .append(let stream, let fields) = cooked.writes.last else { Issue.record("no announcement"); return }
        #expect(stream == "baedal:events:delivery")
        #expect(fields.map(\.name) == ["type", "orderId", "at", "data"])
        #expect(fields[0].value == Array("DeliveryOpened".utf8))
        #expect(fields[2].value == Array("42".utf8), "stamped with the injected clock")
        #expect(String(decoding: fields[3].value, as: UTF8.self) == #"{"orderId":"o-1","customerId":"c-1","storeId":"s-1","region":"gangnam"}"#)

        for cause in ["OrderCancelled", "OrderRejected"] {
            let stream: StreamName = cause == "OrderCancelled" ? .order : .store
            let cancelled = try DeliveryDispatch.effects(of: message(stream, cause, #"{"storeId":"s-1","customerId":"c-1","region":"gangnam"}"#),
                                                         keys: keys, now: 43)
            #expect(cancelled.writes.first == .remove(sortedSet: "baedal:deliveries:gangnam:waiting", member: "o-1"))
            #expect(cancelled.writes.last == .remove(sortedSet: "baedal:flags:pickup-overdue", member: "o-1"), "a pick-up flag resolved")
            guard case .append(_, let announced) = cancelled.writes[1] else { Issue.record("no announcement"); continue }
            #expect(announced[0].value == Array("DeliveryCancelled".utf8))
        }
        let picked = try DeliveryDispatch.effects(of: message(.delivery, "DeliveryPicked", #"{"riderId":"r-1","region":"gangnam"}"#), keys: keys, now: 44)
        #expect(picked.writes == [.remove(sortedSet: "baedal:deliveries:gangnam:waiting", member: "o-1"),
                                  .remove(sortedSet: "baedal:flags:pickup-overdue", member: "o-1")], "the job off the board, its pick-up flag resolved")
        #expect(try DeliveryDispatch.effects(of: message(.store, "OrderAccepted", #"{"storeId":"s-1"}"#), keys: keys, now: 45) == .none)
        #expect(throws: MalformedEvent.self) {
            try DeliveryDispatch.effects(of: message(.store, "CookingFinished", #"{"storeId":"s-1","region":"a b"}"#), keys: keys, now: 46)
        }
    }

    // MARK: notification

    @Test func theNotifierWritesOneMessagePerStatusChange() throws {
        let accepted = try CustomerNotifier.effects(of: message(.store, "OrderAccepted", #"{"customerId":"c-1","storeId":"s-1"}"#), keys: keys, webhook: false)
        let expected = #"{"orderId":"o-1","status":"accepted","text":"가게에서 주문을 수락했습니다","at":1700000000000,"eventId":"1-0"}"#
        #expect(accepted.writes == [.add(sortedSet: "baedal:customer:c-1:notifications", member: expected, score: 1_700_000_000_000)])
        // With a webhook, the same message also goes to the outbox.
        let both = try CustomerNotifier.effects(of: message(.store, "OrderAccepted", #"{"customerId":"c-1"}"#), keys: keys, webhook: true)
        #expect(both.writes.count == 2)
        guard case .append(let outbox, let fields) = both.writes.last else { Issue.record("no outbox entry"); return }
        #expect(outbox == "baedal:events:notify-webhook")
        #expect(fields.first { $0.name == "eventId" }?.value == Array("1-0".utf8))
        // Events that announce no status change nobody; an order event without its customer is malformed.
        #expect(try CustomerNotifier.effects(of: message(.delivery, "DeliveryOpened", #"{"region":"r"}"#), keys: keys, webhook: false) == .none)
        #expect(throws: MalformedEvent.self) {
            try CustomerNotifier.effects(of: message(.order, "OrderPlaced", #"{"storeId":"s-1"}"#), keys: keys, webhook: false)
        }
    }

    @Test func everyStatusHasItsKoreanText() {
        let texts = OrderStatus.allCases.map(CustomerNotifier.text(for:))
        #expect(Set(texts).count == texts.count, "two statuses read the same")
        #expect(texts.allSatisfy { !$0.isEmpty })
    }
}
