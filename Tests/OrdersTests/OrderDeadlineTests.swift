import Contract
import Orders
import Testing

/// Issue 24: which deadlines an order's changes set and clear, and the platform's decision when
/// the store's answer is overdue. Pure, no Redis.
@Suite("Order deadlines (the domain alone)")
struct OrderDeadlineTests {
    static let placed = Order(id: "o-1", customerId: "c-1", storeId: "s-1", items: [OrderLine(foodId: "pizza", qty: 1, price: 9_000)],
                              amount: 9_000, region: "gangnam", address: "서울", paymentId: "p-1", status: .placed,
                              placedAt: 1_000, updatedAt: 1_000, version: 1)
    static let owner = Actor(role: .owner, id: "owner-1", store: "s-1")

    @Test func anUnansweredOrderIsRejectedByThePlatformAndOnlyWhilePlaced() throws {
        let change = try #require(Self.placed.storeDidNotAnswer(within: 300, at: 301_000))
        #expect(change.order.status == .rejected)
        #expect(change.order.updatedAt == 301_000)
        #expect(change.events == [.orderRejected(reason: "the store did not answer within 300 s", by: .platform)])
        let data = change.events[0].envelope(for: change.order, at: 301_000).data
        #expect(data.contains(#""by":"platform""#), "\(data)")
        // Not yet its time (a second of clock difference allowed): nothing.
        #expect(Self.placed.storeDidNotAnswer(within: 300, at: 299_999) == nil)
        #expect(Self.placed.storeDidNotAnswer(within: 300, at: 300_000) != nil)
        #expect(Self.placed.answerDue(within: 300) == 301_000)
        // The order moved on: a deadline told late, or twice, changes nothing.
        for status in OrderStatus.allCases where status != .placed {
            var moved = Self.placed
            moved.status = status
            #expect(moved.storeDidNotAnswer(within: 300, at: 301_000) == nil, "\(status)")
        }
    }

    @Test func anOwnersRejectionSaysByStore() throws {
        let change = try Self.placed.decide(.reject, by: Self.owner, at: 2_000, reason: "재료 소진")
        #expect(change.events == [.orderRejected(reason: "재료 소진", by: .store)])
        #expect(change.events[0].envelope(for: change.order, at: 2_000).data.contains(#""by":"store""#))
    }

    @Test func placingSetsTheAcceptDeadlineAndTheStoresAnswerClearsIt() {
        #expect(OrderDeadline.changes(by: [.orderPlaced]) == ([.accept], []))
        #expect(OrderDeadline.changes(by: [.orderAccepted]) == ([], [.accept]))
        #expect(OrderDeadline.changes(by: [.orderRejected(reason: "x")]) == ([], [.accept, .slip]))
        #expect(OrderDeadline.changes(by: [.cookingFinished]) == ([.pickup], []))
        #expect(OrderDeadline.changes(by: [.deliveryPicked]) == ([], [.pickup]))
        #expect(OrderDeadline.changes(by: [.orderCancelled(reason: "x")]) == ([], [.accept, .pickup, .slip]))
        // The end of the order clears the slip notice the notification policy set.
        #expect(OrderDeadline.changes(by: [.deliveryCompleted]) == ([], [.slip]))
        for event in [OrderEvent.cookingStarted, .orderCompleted] {
            #expect(OrderDeadline.changes(by: [event]) == ([], []), "\(event)")
        }
        // The status each deadline waits in is the status that sets it.
        #expect(OrderDeadline.of(.placed) == .accept)
        #expect(OrderDeadline.of(.cooked) == .pickup)
        #expect(OrderStatus.allCases.filter { OrderDeadline.of($0) != nil } == [.placed, .cooked])
    }

    @Test func membersReadBackAndGarbageIsNoDeadline() {
        #expect(OrderDeadline.accept.member("o-1") == "accept:o-1")
        #expect(OrderDeadline.parse("pickup:o-9")! == (.pickup, "o-9"))
        for garbage in ["", "accept", "accept:", "later:o-1", ":o-1"] { #expect(OrderDeadline.parse(garbage) == nil, "\(garbage)") }
    }

    @Test func aDueTimeNeverOverflows() {
        let timeouts = OrderTimeouts(acceptSeconds: 300, pickupSeconds: 600)
        #expect(timeouts.due(.accept, from: 1_000) == 301_000)
        #expect(timeouts.due(.pickup, from: 1_000) == 601_000)
        #expect(timeouts.due(.accept, from: .max - 5) == .max)
    }
}
