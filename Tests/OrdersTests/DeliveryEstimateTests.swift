import Contract
import Orders
import Testing

/// Issue 24: the estimated delivery time, pure: medians of the recent stage durations, defaults
/// without history, bounds, and how it moves as the order moves.
@Suite("Estimated delivery time")
struct DeliveryEstimateTests {
    static let minute: Int64 = 60_000
    static func order(_ status: OrderStatus, placedAt: Int64 = 0, updatedAt: Int64 = 0, cookingStartedAt: Int64? = nil) -> Order {
        Order(id: "o-1", customerId: "c-1", storeId: "s-1", items: [OrderLine(foodId: "pizza", qty: 1, price: 9_000)], amount: 9_000,
              region: "gangnam", address: "서울", paymentId: "p-1", status: status, placedAt: placedAt, updatedAt: updatedAt,
              cookingStartedAt: cookingStartedAt, version: 1)
    }

    @Test func aStoreThatCooksInTenMinutesIsTenMinutesLaterThanOneThatCooksInNone() throws {
        let slow = StageTimes(recent: [.cook: Array(repeating: 10 * Self.minute, count: 10)])
        let fast = StageTimes(recent: [.cook: Array(repeating: 0, count: 10)])
        let placed = Self.order(.placed, placedAt: 1_000_000, updatedAt: 1_000_000)
        let later = try #require(placed.estimatedDeliveryAt(slow, now: 1_000_000))
        let sooner = try #require(placed.estimatedDeliveryAt(fast, now: 1_000_000))
        #expect(later - sooner == 10 * Self.minute)
    }

    @Test func withoutHistoryEveryStageTakesItsDefault() throws {
        let none = StageTimes(recent: [:])
        let placed = Self.order(.placed, placedAt: 0, updatedAt: 0)
        let all = StageTimes.defaults.values.reduce(0, +)
        #expect(placed.estimatedDeliveryAt(none, now: 0) == all)
    }

    @Test func aMedianIgnoresTheOddOrderForgottenOnTheCounter() {
        let times = StageTimes(recent: [.cook: [10, 10, 10, 10, 9_000_000].map { $0 * Self.minute / 10 }])
        #expect(times.median(.cook) == Self.minute)
        #expect(StageTimes(recent: [.cook: [2 * Self.minute, 4 * Self.minute]]).median(.cook) == 3 * Self.minute)
        // Out of range values (a list written by hand) are bounded, never trapped on.
        #expect(StageTimes(recent: [.cook: [.min, .max, -5]]).median(.cook) == 0)
        #expect(StageTimes(recent: [.cook: [.max]]).median(.cook) == StageTimes.longest)
    }

    @Test func itMovesAsTheOrderMovesAndNeverPromisesThePast() throws {
        let times = StageTimes(recent: [:])
        let d = StageTimes.defaults
        // Cooking for longer than the store usually takes: it may end any moment.
        let late = Self.order(.cooking, placedAt: 0, updatedAt: 0, cookingStartedAt: 0)
        let now: Int64 = 60 * Self.minute
        #expect(late.estimatedDeliveryAt(times, now: now) == now + d[.pickup]! + d[.deliver]!)
        // Picked a minute ago: the rest of the ride.
        let picked = Self.order(.picked, placedAt: 0, updatedAt: now - Self.minute)
        #expect(picked.estimatedDeliveryAt(times, now: now) == now - Self.minute + d[.deliver]!)
        // Over: no estimate.
        for status in [OrderStatus.delivered, .completed, .rejected, .cancelled] {
            #expect(Self.order(status).estimatedDeliveryAt(times, now: now) == nil, "\(status)")
        }
    }

    @Test(arguments: OrderStatus.allCases)
    func theEstimateIsWithinItsBounds(_ status: OrderStatus) {
        // The README's bounds: never before now, never more than two hours per stage still ahead.
        let extreme = StageTimes(recent: Dictionary(uniqueKeysWithValues: OrderStage.allCases.map { ($0, [Int64.max]) }))
        for times in [extreme, StageTimes(recent: [:])] {
            for (placedAt, now) in [(Int64(0), Int64(0)), (0, 9 * 3_600_000), (.max - 1, .max), (.min, 0)] {
                let order = Self.order(status, placedAt: placedAt, updatedAt: placedAt, cookingStartedAt: placedAt)
                guard let estimate = order.estimatedDeliveryAt(times, now: now) else {
                    #expect(order.stagesAhead == nil)
                    continue
                }
                let ahead = Int64(order.stagesAhead?.stages.count ?? 0)
                #expect(estimate >= now)
                #expect(estimate <= max(now, now.addingReportingOverflow(ahead * StageTimes.longest).overflow ? .max : now + ahead * StageTimes.longest))
            }
        }
    }
}
