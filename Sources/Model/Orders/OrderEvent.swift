import Contract

/// The events of an order's life, each on its context's stream (the contract's table).
/// Their `data` is rendered from the order after the change; every event also carries
/// `customerId`, so a policy can tell the customer without reading the order.
public enum OrderEvent: Sendable, Hashable {
    case orderPlaced
    case orderCancelled(reason: String)
    case orderCompleted
    case orderAccepted
    case orderRejected(reason: String, by: Rejecter = .store)
    case cookingStarted
    case cookingFinished
    case deliveryPicked
    case deliveryCompleted

    public var type: EventType {
        switch self {
        case .orderPlaced: .orderPlaced
        case .orderCancelled: .orderCancelled
        case .orderCompleted: .orderCompleted
        case .orderAccepted: .orderAccepted
        case .orderRejected: .orderRejected
        case .cookingStarted: .cookingStarted
        case .cookingFinished: .cookingFinished
        case .deliveryPicked: .deliveryPicked
        case .deliveryCompleted: .deliveryCompleted
        }
    }

    public var stream: StreamName { type.stream! }

    /// The status an event of this type announces, for consumers that only see the type.
    public static func status(announcedBy type: EventType) -> OrderStatus? {
        switch type {
        case .orderPlaced: .placed
        case .orderAccepted: .accepted
        case .orderRejected: .rejected
        case .cookingStarted: .cooking
        case .cookingFinished: .cooked
        case .deliveryPicked: .picked
        case .deliveryCompleted: .delivered
        case .orderCompleted: .completed
        case .orderCancelled: .cancelled
        default: nil
        }
    }

    /// The stream entry announcing this event about `order` (its state after the change);
    /// `itemsJSON` is the order's lines rendered once for the whole commit.
    /// `since`: when the order entered the status the change leaves; events that end a measured
    /// stage (`OrderStage`) carry it.
    public func envelope(for order: Order, at now: Int64, since: Int64? = nil, itemsJSON: String? = nil) -> EventEnvelope {
        var data = data(for: order)
        if let since, OrderStage.ended(by: type) != nil { data.since = Int(since) }
        return EventEnvelope(type: type.rawValue, orderId: order.id, at: now, data: data.json(itemsJSON: itemsJSON))
    }

    /// The members this event carries (the contract's table), from the order after the change.
    func data(for order: Order) -> EventData {
        var data = EventData(orderId: order.id, customerId: order.customerId, storeId: order.storeId)
        switch self {
        case .orderPlaced:
            data.items = order.items
            data.amount = order.amount
            data.region = order.region
            data.address = order.address
            data.paymentId = order.paymentId
        case .orderCancelled(let reason):
            data.items = order.items
            data.amount = order.amount
            data.region = order.region
            data.paymentId = order.paymentId
            data.reason = reason
        case .orderRejected(let reason, let by):
            data.items = order.items
            data.amount = order.amount
            data.region = order.region
            data.paymentId = order.paymentId
            data.reason = reason
            data.by = by.rawValue
        case .orderCompleted, .orderAccepted, .cookingStarted:
            break
        case .cookingFinished:
            data.region = order.region
        case .deliveryPicked, .deliveryCompleted:
            data.region = order.region
            data.riderId = order.riderId ?? ""
        }
        return data
    }
}

/// Who rejected an order (`OrderRejected`'s `by`): its store's owner, or the platform because the
/// store did not answer in time (`OrderDeadline.accept`).
public enum Rejecter: String, Sendable, Hashable {
    case store, platform
}
