import Contract

/// The order aggregate: its state, and every decision about it. Pure: no I/O here.
public struct Order: Sendable, Hashable {
    public static let maxQuantity = OrderLimits.maxQuantity
    public static let maxLines = OrderLimits.maxLines

    // What placing the order fixed: no decision changes these (`let`), so a commit after the
    // first writes only what can change (`OrderRecord.changingFields`).
    public let id: String
    public let customerId: String
    public let storeId: String
    public let items: [OrderLine]
    public let amount: Int
    public let region: String
    public let address: String
    public let paymentId: String
    public let placedAt: Int64
    // What decisions change.
    public var status: OrderStatus
    public var riderId: String?
    public var updatedAt: Int64
    public var cookingStartedAt: Int64?
    /// The stored version this state was read at (0 before the first commit).
    public var version: Int

    public init(id: String, customerId: String, storeId: String, items: [OrderLine], amount: Int, region: String,
                address: String, paymentId: String, status: OrderStatus, riderId: String? = nil, placedAt: Int64,
                updatedAt: Int64, cookingStartedAt: Int64? = nil, version: Int) {
        self.id = id
        self.customerId = customerId
        self.storeId = storeId
        self.items = items
        self.amount = amount
        self.region = region
        self.address = address
        self.paymentId = paymentId
        self.status = status
        self.riderId = riderId
        self.placedAt = placedAt
        self.updatedAt = updatedAt
        self.cookingStartedAt = cookingStartedAt
        self.version = version
    }

    /// What the customer asked for, priced: the lines and their total, computed once.
    public struct Priced: Sendable, Hashable {
        public let lines: [OrderLine]
        public let amount: Int

        init(lines: [OrderLine], amount: Int) {
            self.lines = lines
            self.amount = amount
        }

        /// Lines priced already (a test, a seed): their total checked.
        public init(lines: [OrderLine]) throws(OrderError) {
            self.init(lines: lines, amount: try Order.amount(of: lines))
        }
    }

    /// Prices what the customer asked for from the store's menu (`foodId` → unit price).
    /// Every line must name a food on the menu with a quantity of 1…99; lines of the same food
    /// are merged into one first, so the limit holds per food however the request splits it.
    public static func price(_ requested: [(foodId: String, qty: Int)], menu prices: [String: Int]) throws(OrderError) -> Priced {
        guard !requested.isEmpty else { throw .noItems }
        guard requested.count <= maxLines else { throw .tooManyLines(requested.count) }
        var lines: [OrderLine] = []
        var lineOfFood: [String: Int] = [:]
        lines.reserveCapacity(requested.count)
        for line in requested {
            guard let price = prices[line.foodId] else { throw .unknownFood(line.foodId) }
            guard (1...maxQuantity).contains(line.qty) else { throw .quantityOutOfRange(foodId: line.foodId, qty: line.qty) }
            if let index = lineOfFood[line.foodId] {
                lines[index].qty += line.qty  // at most 50 lines of 99: no overflow
            } else {
                lineOfFood[line.foodId] = lines.count
                lines.append(OrderLine(foodId: line.foodId, qty: line.qty, price: price))
            }
        }
        for line in lines where line.qty > maxQuantity { throw .quantityOutOfRange(foodId: line.foodId, qty: line.qty) }
        return Priced(lines: lines, amount: try amount(of: lines))
    }

    /// The total of priced lines, in won, computed with checked arithmetic and bounded by
    /// `OrderLimits.maxAmount`.
    public static func amount(of lines: [OrderLine]) throws(OrderError) -> Int {
        var total = 0
        for line in lines {
            let (cost, overflowed) = line.qty.multipliedReportingOverflow(by: line.price)
            let (sum, overflowedAgain) = total.addingReportingOverflow(cost)
            guard !overflowed, !overflowedAgain, line.qty >= 0, line.price >= 0, sum <= OrderLimits.maxAmount else {
                throw .amountTooLarge(limit: OrderLimits.maxAmount)
            }
            total = sum
        }
        return total
    }

    /// A new, paid order: `placed`, announced by `OrderPlaced`.
    public static func place(id: String, customerId: String, storeId: String, priced: Priced, region: String,
                             address: String, paymentId: String, at now: Int64) -> OrderChange {
        let order = Order(id: id, customerId: customerId, storeId: storeId, items: priced.lines, amount: priced.amount,
                          region: region, address: address, paymentId: paymentId, status: .placed,
                          placedAt: now, updatedAt: now, version: 0)
        return OrderChange(order: order, events: [.orderPlaced])
    }

    /// Decides a command: the order after it and the events that announce it, or why not.
    /// This is the only place where an order's status changes.
    public func decide(_ command: OrderCommand, by actor: Actor, at now: Int64, reason: String = "") throws(OrderError) -> OrderChange {
        guard actor.role == command.role else { throw .wrongRole(command: command.name, required: command.role) }
        switch command.role {
        case .customer: guard actor.id == customerId else { throw .notYourOrder }
        case .owner: guard actor.owns(store: storeId) else { throw .notYourStore }
        case .rider: if command == .deliver, let riderId, actor.id != riderId { throw .notYourDelivery }
        case .operator: throw .wrongRole(command: command.name, required: command.role)  // no command is an operator's
        }

        var next = self
        next.updatedAt = now
        let event: OrderEvent
        switch (command, status) {
        case (.cancel, .placed), (.cancel, .accepted):
            next.status = .cancelled
            event = .orderCancelled(reason: reason.isEmpty ? "cancelled by the customer" : reason)
        case (.cancel, let status) where status.cookingHasStarted:
            throw .cannotCancelAfterCookingStarted(status)
        case (.accept, .placed):
            next.status = .accepted
            event = .orderAccepted
        case (.reject, .placed):
            next.status = .rejected
            event = .orderRejected(reason: reason.isEmpty ? "rejected by the store" : reason)
        case (.startCooking, .accepted):
            next.status = .cooking
            next.cookingStartedAt = now
            event = .cookingStarted
        case (.finishCooking, .cooking):
            next.status = .cooked
            event = .cookingFinished
        case (.pick, .cooked):
            next.status = .picked
            next.riderId = actor.id
            event = .deliveryPicked
        case (.pick, .picked), (.pick, .delivered), (.pick, .completed):
            throw .alreadyPicked
        case (.deliver, .picked):
            next.status = .delivered
            event = .deliveryCompleted
        case (.confirm, .delivered):
            next.status = .completed
            event = .orderCompleted
        default:
            throw .invalidTransition(command: command.name, from: status)
        }
        return OrderChange(order: next, events: [event], since: updatedAt)
    }

    /// What the order does when the gateway cancelled its payment for its own reasons (a
    /// chargeback, a fraud check, an operator at the gateway). Until a rider has it, the order is
    /// cancelled like a customer's cancel (refund, delivery cancelled, everyone told through
    /// `OrderCancelled`); once food has left the store an operator must decide; an order that is
    /// over, or a payment that is not this order's, changes nothing.
    public func paymentCancelled(_ paymentId: String, at now: Int64) -> PaymentCancellation {
        guard paymentId == self.paymentId else { return .unrelated }
        switch status {
        case .placed, .accepted, .cooking, .cooked:
            var next = self
            next.status = .cancelled
            next.updatedAt = now
            return .cancel(OrderChange(order: next, events: [.orderCancelled(reason: PaymentCancellation.reason)], since: updatedAt))
        case .picked, .delivered, .completed:
            return .needsOperator("payment \(paymentId) was cancelled at the gateway after the order was \(status.rawValue)")
        case .cancelled, .rejected:
            return .settled
        }
    }

    /// Who may read the order: its customer, its store's owner, and the rider who picked it.
    public func isVisible(to actor: Actor) -> Bool {
        switch actor.role {
        case .customer: actor.id == customerId
        case .owner: actor.owns(store: storeId)
        case .rider: riderId != nil && actor.id == riderId
        case .operator: false  // operators read orders through the console, not as a party to them
        }
    }
}
