/// Every event type the platform writes, named once: the contract's table and the
/// implementation's own (a void request, a notification for the webhook, an operator's flag).
/// An entry's `type` is free text on the stream (a hand-written entry may say anything):
/// `EventEnvelope.eventType` reads it as one of these or as nil, and code compares types here,
/// never as string literals.
public enum EventType: String, Sendable, CaseIterable, Hashable {
    case orderPlaced = "OrderPlaced"
    case orderCancelled = "OrderCancelled"
    case orderCompleted = "OrderCompleted"
    case paymentApproved = "PaymentApproved"
    case paymentCancelled = "PaymentCancelled"
    case orderAccepted = "OrderAccepted"
    case orderRejected = "OrderRejected"
    case cookingStarted = "CookingStarted"
    case cookingFinished = "CookingFinished"
    case deliveryOpened = "DeliveryOpened"
    case deliveryCancelled = "DeliveryCancelled"
    case deliveryPicked = "DeliveryPicked"
    case deliveryCompleted = "DeliveryCompleted"
    /// A charge whose outcome the order side never learned (`payment-voids`).
    case paymentVoidRequested = "PaymentVoidRequested"
    /// A customer's message on its way to the webhook (`notify-webhook`).
    case notificationSent = "NotificationSent"
    /// A payment the gateway cancelled after pick-up, for an operator (`baedal:flags`).
    case paymentCancelledAfterPickup = "PaymentCancelledAfterPickup"
    /// An order's deadline came due (`deadlines`, written by `DeadlinePump`).
    case deadlineDue = "DeadlineDue"
    /// A cooked order no rider picked in time (`deadlines`, for the customer's message; the same
    /// entry on `baedal:flags` for an operator).
    case pickupOverdue = "PickupOverdue"

    /// The stream it is written to (nil: the operators' flags, which are not an event stream).
    public var stream: StreamName? {
        switch self {
        case .orderPlaced, .orderCancelled, .orderCompleted: .order
        case .paymentApproved, .paymentCancelled: .payment
        case .orderAccepted, .orderRejected, .cookingStarted, .cookingFinished: .store
        case .deliveryOpened, .deliveryCancelled, .deliveryPicked, .deliveryCompleted: .delivery
        case .paymentVoidRequested: .paymentVoids
        case .notificationSent: .notifyWebhook
        case .deadlineDue, .pickupOverdue: .deadlines
        case .paymentCancelledAfterPickup: nil
        }
    }

    /// This type on `stream`: the type as the contract places it, or nil when the entry is
    /// anything else (a type on the wrong stream counts for nothing).
    public static func on(_ stream: StreamName, _ type: String) -> EventType? {
        guard let known = EventType(rawValue: type), known.stream == stream else { return nil }
        return known
    }
}
