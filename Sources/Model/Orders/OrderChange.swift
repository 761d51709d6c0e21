import Contract

/// A decision's outcome: the order as it is now, and what to announce.
public struct OrderChange: Sendable, Hashable {
    public var order: Order
    public var events: [OrderEvent]

    public init(order: Order, events: [OrderEvent]) {
        self.order = order
        self.events = events
    }
}
