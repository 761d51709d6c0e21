/// The four bounded contexts' event streams (the contract's), and the implementation's own:
/// `payment-voids`, charges whose outcome the order side never learned (settled by
/// `payment-refund`), `notify-webhook`, the notifications' outbox for the webhook, and `deadlines`,
/// orders' deadlines as they come due (`DeadlineDue`) and what came of them (`PickupOverdue`).
public enum StreamName: String, Sendable, CaseIterable, Hashable {
    case order, payment, store, delivery
    case paymentVoids = "payment-voids"
    case notifyWebhook = "notify-webhook"
    case deadlines
}
