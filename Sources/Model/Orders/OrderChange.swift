import Contract

/// A decision's outcome: the order as it is now, and what to announce.
public struct OrderChange: Sendable, Hashable {
    public var order: Order
    public var events: [OrderEvent]
    /// When the order entered the status this change leaves (ms): the start of the stage its
    /// event ends (`OrderStage`), carried as the event's `since`. Nil for a new order.
    public var since: Int64?

    public init(order: Order, events: [OrderEvent], since: Int64? = nil) {
        self.order = order
        self.events = events
        self.since = since
    }
}
