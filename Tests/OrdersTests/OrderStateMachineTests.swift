import Contract
import Backbone
import Orders
import Testing

/// The order's life, decided without I/O: every status × every command, and who may give it.
@Suite("Order state machine")
struct OrderStateMachineTests {
    static let customer = Actor.customer("c1")
    static let owner = Actor.owner("u1", of: "s1")
    static let rider = Actor.rider("r1")
    static let `operator` = Actor.operator("ops1")

    static func order(_ status: OrderStatus, rider: String? = nil) -> Order {
        Order(id: "o1", customerId: "c1", storeId: "s1", items: [OrderLine(foodId: "f1", qty: 2, price: 1000)], amount: 2000,
              region: "gangnam", address: "a", paymentId: "p1", status: status, riderId: rider, placedAt: 1, updatedAt: 1, version: 3)
    }

    /// The contract's transitions, and nothing else: (from, command) → (to, event type).
    static let allowed: [OrderStatus: [OrderCommand: (OrderStatus, String)]] = [
        .placed: [.cancel: (.cancelled, "OrderCancelled"), .accept: (.accepted, "OrderAccepted"), .reject: (.rejected, "OrderRejected")],
        .accepted: [.cancel: (.cancelled, "OrderCancelled"), .startCooking: (.cooking, "CookingStarted")],
        .cooking: [.finishCooking: (.cooked, "CookingFinished")],
        .cooked: [.pick: (.picked, "DeliveryPicked")],
        .picked: [.deliver: (.delivered, "DeliveryCompleted")],
        .delivered: [.confirm: (.completed, "OrderCompleted")],
    ]

    static func actor(for command: OrderCommand) -> Actor {
        switch command.role {
        case .customer: customer
        case .owner: owner
        case .rider: rider
        case .operator: `operator`
        }
    }

    @Test(arguments: OrderStatus.allCases)
    func everyCommandFromEveryStatus(_ status: OrderStatus) throws {
        for command in OrderCommand.allCases {
            let order = Self.order(status, rider: status == .picked || status == .delivered || status == .completed ? "r1" : nil)
            let expected = Self.allowed[status]?[command]
            do {
                let change = try order.decide(command, by: Self.actor(for: command), at: 99)
                let (to, type) = try #require(expected, "\(command.name) from \(status) must be refused")
                #expect(change.order.status == to)
                #expect(change.events.map(\.type.rawValue) == [type])
                #expect(change.order.updatedAt == 99)
                #expect(change.order.version == 3)  // the version read; the commit checks it
            } catch let error as OrderError {
                #expect(expected == nil, "\(command.name) from \(status) refused: \(error)")
                switch (command, error) {
                case (.cancel, .cannotCancelAfterCookingStarted): #expect(status.cookingHasStarted)
                case (.pick, .alreadyPicked): #expect([.picked, .delivered, .completed].contains(status))
                case (_, .invalidTransition(let name, let from)):
                    #expect(name == command.name)
                    #expect(from == status)
                default: Issue.record("unexpected refusal of \(command.name) from \(status): \(error)")
                }
            }
        }
    }

    @Test func cancellingOnceCookingStartedSaysSo() {
        for status in [OrderStatus.cooking, .cooked, .picked, .delivered, .completed] {
            #expect(throws: OrderError.cannotCancelAfterCookingStarted(status)) {
                try Self.order(status, rider: "r1").decide(.cancel, by: Self.customer, at: 2)
            }
        }
    }

    /// An operator runs the platform, not orders: every command from every status is refused,
    /// whatever the operator's id (even one equal to the order's customer, store or rider).
    @Test(arguments: OrderStatus.allCases)
    func anOperatorMayGiveNoCommand(_ status: OrderStatus) {
        #expect(!OrderCommand.allCases.contains { $0.role == .operator })
        for command in OrderCommand.allCases {
            for id in ["ops1", "c1", "u1", "r1"] {
                let order = Self.order(status, rider: "r1")
                #expect(throws: OrderError.wrongRole(command: command.name, required: command.role)) {
                    try order.decide(command, by: Actor(role: .operator, id: id, store: "s1"), at: 2)
                }
            }
        }
    }

    @Test(arguments: OrderCommand.allCases)
    func onlyTheRightRoleMayGiveACommand(_ command: OrderCommand) {
        for actor in [Self.customer, Self.owner, Self.rider, Self.operator] where actor.role != command.role {
            #expect(throws: OrderError.wrongRole(command: command.name, required: command.role)) {
                try Self.order(.placed).decide(command, by: actor, at: 2)
            }
        }
    }

    @Test func onlyTheOrdersOwnCustomerStoreAndRider() {
        #expect(throws: OrderError.notYourOrder) { try Self.order(.placed).decide(.cancel, by: .customer("c2"), at: 2) }
        #expect(throws: OrderError.notYourOrder) { try Self.order(.delivered, rider: "r1").decide(.confirm, by: .customer("c2"), at: 2) }
        #expect(throws: OrderError.notYourStore) { try Self.order(.placed).decide(.accept, by: .owner("u2", of: "s2"), at: 2) }
        #expect(throws: OrderError.notYourDelivery) { try Self.order(.picked, rider: "r1").decide(.deliver, by: .rider("r2"), at: 2) }
    }

    @Test func pickNamesTheRiderAndCookingRecordsItsStart() throws {
        let picked = try Self.order(.cooked).decide(.pick, by: .rider("r7"), at: 5)
        #expect(picked.order.riderId == "r7")
        let cooking = try Self.order(.accepted).decide(.startCooking, by: Self.owner, at: 42)
        #expect(cooking.order.cookingStartedAt == 42)
    }

    @Test func visibility() {
        let order = Self.order(.picked, rider: "r1")
        #expect(order.isVisible(to: Self.customer))
        #expect(order.isVisible(to: Self.owner))
        #expect(order.isVisible(to: Self.rider))
        #expect(!order.isVisible(to: .customer("c2")))
        #expect(!order.isVisible(to: .owner("u2", of: "s2")))
        #expect(!order.isVisible(to: .rider("r2")))
        #expect(!order.isVisible(to: Self.operator))  // operators look orders up in the console
        #expect(!Self.order(.cooked).isVisible(to: Self.rider))  // no rider yet
    }

    @Test func pricingFromTheMenu() throws {
        let menu = ["fried": 18_000, "cola": 2_500]
        let priced = try Order.price([("fried", 2), ("cola", 1)], menu: menu)
        #expect(priced.lines == [OrderLine(foodId: "fried", qty: 2, price: 18_000), OrderLine(foodId: "cola", qty: 1, price: 2_500)])
        #expect(priced.amount == 38_500, "the total is computed with the lines, once")
        #expect(throws: OrderError.unknownFood("pizza")) { try Order.price([("pizza", 1)], menu: menu) }
        #expect(throws: OrderError.quantityOutOfRange(foodId: "cola", qty: 0)) { try Order.price([("cola", 0)], menu: menu) }
        #expect(throws: OrderError.quantityOutOfRange(foodId: "cola", qty: 100)) { try Order.price([("cola", 100)], menu: menu) }
        #expect(throws: OrderError.noItems) { try Order.price([], menu: menu) }
        #expect(try Order.price([("cola", 99)], menu: menu).lines.first?.qty == 99)
    }

    @Test func linesOfOneFoodAreMergedBeforeTheLimit() throws {
        let menu = ["kimbap": 3_500, "cola": 2_500]
        // Two lines of 99 used to pass as 198 units: the limit is per food.
        #expect(throws: OrderError.quantityOutOfRange(foodId: "kimbap", qty: 198)) {
            try Order.price([("kimbap", 99), ("kimbap", 99)], menu: menu)
        }
        let merged = try Order.price([("kimbap", 40), ("cola", 1), ("kimbap", 59)], menu: menu)
        #expect(merged.lines == [OrderLine(foodId: "kimbap", qty: 99, price: 3_500), OrderLine(foodId: "cola", qty: 1, price: 2_500)])
        // Every line is still 1…99 on its own: a negative line cannot pay for another.
        #expect(throws: OrderError.quantityOutOfRange(foodId: "kimbap", qty: -50)) {
            try Order.price([("kimbap", 99), ("kimbap", -50)], menu: menu)
        }
    }

    @Test func amountsAreCheckedNotWrappedOrTrapped() throws {
        // A price that once took the API down: Int.max × 2 now refuses, it does not trap.
        #expect(throws: OrderError.amountTooLarge(limit: OrderLimits.maxAmount)) {
            try Order.amount(of: [OrderLine(foodId: "gold", qty: 2, price: Int.max)])
        }
        #expect(throws: OrderError.amountTooLarge(limit: OrderLimits.maxAmount)) {
            try Order.price([("gold", 2)], menu: ["gold": 9_223_372_036_854_775_807])
        }
        #expect(throws: OrderError.amountTooLarge(limit: OrderLimits.maxAmount)) {
            try Order.amount(of: (0..<50).map { OrderLine(foodId: "f\($0)", qty: 99, price: OrderLimits.maxPrice) })
        }
        #expect(try Order.amount(of: [OrderLine(foodId: "f", qty: 99, price: OrderLimits.maxPrice)]) == 99_000_000)
        #expect(OrderLimits.maxAmount < 1 << 53)
    }

    @Test func aPaymentCancelledAtTheGatewayCancelsTheOrderUntilItIsPicked() throws {
        for status in [OrderStatus.placed, .accepted, .cooking, .cooked] {
            guard case .cancel(let change) = Self.order(status).paymentCancelled("p1", at: 99) else {
                Issue.record("\(status): expected a cancel")
                continue
            }
            #expect(change.order.status == .cancelled)
            #expect(change.order.updatedAt == 99)
            #expect(change.events == [.orderCancelled(reason: PaymentCancellation.reason)])
        }
        for status in [OrderStatus.picked, .delivered, .completed] {
            guard case .needsOperator(let reason) = Self.order(status).paymentCancelled("p1", at: 99) else {
                Issue.record("\(status): expected a flag for an operator")
                continue
            }
            #expect(reason.contains(status.rawValue))
        }
        // Baedal's own refunds find the order cancelled or rejected already.
        #expect(Self.order(.cancelled).paymentCancelled("p1", at: 99) == .settled)
        #expect(Self.order(.rejected).paymentCancelled("p1", at: 99) == .settled)
        // Another order's payment changes nothing.
        #expect(Self.order(.placed).paymentCancelled("p-other", at: 99) == .unrelated)
    }

    @Test func eventsCarryTheContractsFields() throws {
        let placed = Order.place(id: "o1", customerId: "c1", storeId: "s1", priced: try Order.Priced(lines: [OrderLine(foodId: "f-1", qty: 2, price: 1000)]),
                                 region: "강남", address: "a\nb", paymentId: "p1", at: 7)
        let envelope = try #require(placed.events.first).envelope(for: placed.order, at: 7)
        #expect(envelope.type == "OrderPlaced")
        #expect(envelope.data == #"{"orderId":"o1","customerId":"c1","storeId":"s1","items":[{"foodId":"f-1","qty":2,"price":1000}],"amount":2000,"region":"강남","address":"a\nb","paymentId":"p1"}"#)
        let data = try envelope.decoded()
        #expect(data.items == placed.order.items && data.amount == 2_000 && data.address == "a\nb", "one shape, read back")
    }
}
