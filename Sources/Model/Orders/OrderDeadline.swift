import Contract
import Numbers

/// The deadlines an order's status sets (the one place that says which): a `placed` order waits
/// for its store's answer (`accept`), a `cooked` one for a rider (`pickup`). A deadline is set by
/// the commit that brings the order into the status and removed by the one that takes it out, in
/// the same atomic step; one that comes due is told to the policy that acts on it
/// (`DeadlineDue`), which decides again against the order as it is then.
public enum OrderDeadline: String, Sendable, Hashable, CaseIterable {
    /// The store has not accepted or rejected the order: the platform rejects it
    /// (`BAEDAL_ACCEPT_TIMEOUT_S`, default 300), which refunds it like an owner's rejection.
    case accept
    /// No rider has picked the cooked order: an operator is told (`baedal:flags`) and the customer
    /// hears that a rider is still being looked for (`BAEDAL_PICKUP_TIMEOUT_S`, default 600).
    case pickup
    /// The food has not arrived by the time last promised to the customer plus the slip notice
    /// (`BAEDAL_SLIP_NOTICE_S`, default 600): the notification policy tells the customer the new
    /// estimate. Set by that policy, not by a status; the order's end clears it.
    case slip

    /// The deadline an order in `status` waits on, if any.
    public static func of(_ status: OrderStatus) -> OrderDeadline? {
        switch status {
        case .placed: .accept
        case .cooked: .pickup
        default: nil
        }
    }

    /// The deadlines a change's events set and clear: `OrderPlaced` sets `accept`, which the
    /// store's answer (or a cancel) clears; `CookingFinished` sets `pickup`, which a rider's pick
    /// (or a cancel) clears. Nothing else touches them.
    public static func changes(by events: [OrderEvent]) -> (set: [OrderDeadline], cleared: [OrderDeadline]) {
        var set: [OrderDeadline] = [], cleared: [OrderDeadline] = []
        for event in events {
            switch event {
            case .orderPlaced: set.append(.accept)
            case .cookingFinished: set.append(.pickup)
            case .orderAccepted: cleared.append(.accept)
            case .orderRejected: cleared += [.accept, .slip]
            case .deliveryPicked: cleared.append(.pickup)
            case .deliveryCompleted: cleared.append(.slip)
            case .orderCancelled: cleared += [.accept, .pickup, .slip]
            case .orderCompleted, .cookingStarted: break
            }
        }
        return (set, cleared)
    }

    /// The member naming this deadline of an order in the deadlines' sorted set (`accept:o-1`).
    public func member(_ orderId: String) -> String { "\(rawValue):\(orderId)" }

    /// A member read back: the deadline and its order, or nil (a hand-written member).
    public static func parse(_ member: String) -> (deadline: OrderDeadline, orderId: String)? {
        guard let colon = member.firstIndex(of: ":"), let deadline = OrderDeadline(rawValue: String(member[..<colon])) else { return nil }
        let orderId = String(member[member.index(after: colon)...])
        return orderId.isEmpty ? nil : (deadline, orderId)
    }
}

/// How long each deadline gives (seconds; `BAEDAL_ACCEPT_TIMEOUT_S` and `BAEDAL_PICKUP_TIMEOUT_S`).
public struct OrderTimeouts: Sendable, Hashable {
    public var acceptSeconds: Int
    public var pickupSeconds: Int

    public static let standard = OrderTimeouts(acceptSeconds: 300, pickupSeconds: 600)

    public init(acceptSeconds: Int, pickupSeconds: Int) {
        self.acceptSeconds = acceptSeconds
        self.pickupSeconds = pickupSeconds
    }

    public func seconds(_ deadline: OrderDeadline) -> Int {
        switch deadline {
        case .accept: acceptSeconds
        case .pickup: pickupSeconds
        case .slip: 0  // not a timeout of a status: the notification policy sets it from its promise
        }
    }

    /// When a deadline set at `now` (ms) comes due (ms), without overflow.
    public func due(_ deadline: OrderDeadline, from now: Int64) -> Int64 {
        now.clampedAdding(Int64(seconds(deadline)).clampedMultiplied(by: 1_000))
    }
}

extension Order {
    /// When the store's answer is due: `seconds` after the order was placed.
    public func answerDue(within seconds: Int) -> Int64 { OrderTimeouts(acceptSeconds: seconds, pickupSeconds: 0).due(.accept, from: placedAt) }

    /// The platform's decision when the store's answer is overdue: a `placed` order is rejected
    /// (`by: platform`), exactly like an owner's rejection otherwise; an order that moved on is
    /// left alone (nil), so a deadline that fires late or twice changes nothing; and so is one
    /// whose time is not up yet (a second of clock difference between processes allowed): a
    /// deadline written by hand, or by a process with another timeout, rejects nothing early.
    public func storeDidNotAnswer(within seconds: Int, at now: Int64) -> OrderChange? {
        guard status == .placed, now >= answerDue(within: seconds) - 1_000 else { return nil }
        var next = self
        next.status = .rejected
        next.updatedAt = now
        return OrderChange(order: next, events: [.orderRejected(reason: "the store did not answer within \(seconds) s", by: .platform)],
                           since: updatedAt)
    }
}
