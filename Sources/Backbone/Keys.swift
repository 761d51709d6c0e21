/// The four bounded contexts' event streams (the contract's), and the implementation's own:
/// `payment-voids`, charges whose outcome the order side never learned (settled by
/// `payment-refund`), and `notify-webhook`, the notifications' outbox for the webhook.
public enum StreamName: String, Sendable, CaseIterable, Hashable {
    case order, payment, store, delivery
    case paymentVoids = "payment-voids"
    case notifyWebhook = "notify-webhook"
}

/// Every Redis key of a deployment, under its prefix (`BAEDAL_PREFIX`, default `baedal`).
public struct Keys: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String = "baedal") {
        self.prefix = prefix
    }

    /// `baedal:events:order` and its siblings.
    public func stream(_ name: StreamName) -> String { "\(prefix):events:\(name.rawValue)" }

    /// The dead-letter stream, `baedal:dead`.
    public var dead: String { "\(prefix):dead" }

    /// Any other key of the deployment: `key("dashboard", "food-orders")` is `baedal:dashboard:food-orders`.
    public func key(_ parts: String...) -> String { ([prefix] + parts).joined(separator: ":") }

    /// Where an `Idempotency-Key` remembers the first result, per scope (e.g. per customer).
    public func idempotency(scope: String, key: String) -> String { self.key("idempotency", scope, key) }

    /// The name of the stream a full key belongs to, if it is one of the event streams.
    public func streamName(ofKey key: String) -> StreamName? {
        StreamName.allCases.first { stream($0) == key }
    }
}
