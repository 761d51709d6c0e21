import Backbone

/// Orders per minute by status as a projection of events: each event that moves an order to a
/// status adds one to that status in the minute of its `at`, in a hash per minute
/// (`baedal:dashboard:orders-per-minute:<minute since the epoch>`, status → orders). A batch
/// of events of one minute is one `HINCRBY` per status (the runtime adds increments up) and one
/// `EXPIREAT`: a minute's hash goes two hours after the minute ends, so the console reads the
/// last hour from 60 small hashes instead of scanning an hour of streams on every poll.
/// Pure, like the other projections; `baedalctl rebuild dashboards` recomputes it the same way.
public struct OrderFlowProjection: Sendable {
    public let keys: Keys
    /// `baedal:dashboard:orders-per-minute:`, built once: a minute's key is this and a number.
    private let keyPrefix: String

    /// How long a minute's hash is kept after the minute ends.
    public static let retentionSeconds: Int64 = 7_200

    public init(keys: Keys) {
        self.keys = keys
        keyPrefix = OrderFlow.key(keys, minute: 0).dropLast() + ""
    }

    /// The status an event moves its order to (the contract's events and status list).
    public static func status(after type: String, on stream: StreamName) -> String? {
        switch (stream, type) {
        case (.order, "OrderPlaced"): "placed"
        case (.store, "OrderAccepted"): "accepted"
        case (.store, "OrderRejected"): "rejected"
        case (.store, "CookingStarted"): "cooking"
        case (.store, "CookingFinished"): "cooked"
        case (.delivery, "DeliveryPicked"): "picked"
        case (.delivery, "DeliveryCompleted"): "delivered"
        case (.order, "OrderCompleted"): "completed"
        case (.order, "OrderCancelled"): "cancelled"
        default: nil
        }
    }

    /// One more order in the event's status, in the minute of its `at`; an event without a time
    /// (`at` absent or 0, as hand-written entries may be) is in no minute and changes nothing.
    public func effects(of event: EventEnvelope, on stream: StreamName) -> Effects {
        guard event.at > 0, let status = Self.status(after: event.type, on: stream) else { return .none }
        let minute = event.at / 60_000
        let key = keyPrefix + String(minute)
        return Effects([
            .increment(key: key, field: status, by: 1),
            .expireAt(key: key, keyType: "hash", seconds: (minute + 1) * 60 + Self.retentionSeconds),
        ])
    }
}
