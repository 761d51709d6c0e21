/// The four bounded contexts' event streams (the contract's), and the implementation's own:
/// `payment-voids`, charges whose outcome the order side never learned (settled by
/// `payment-refund`), and `notify-webhook`, the notifications' outbox for the webhook.
public enum StreamName: String, Sendable, CaseIterable, Hashable {
    case order, payment, store, delivery
    case paymentVoids = "payment-voids"
    case notifyWebhook = "notify-webhook"
}
