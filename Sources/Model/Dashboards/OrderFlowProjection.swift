import Contract

/// Orders per minute by status as a projection of events: each event that moves an order to a
/// status adds one to that status in the minute of its `at`, in a hash per minute
/// (`Keys.ordersPerMinute`, status → orders). A batch of events of one minute is one `HINCRBY`
/// per status (the runtime adds increments up) and one `EXPIREAT`: a minute's hash goes two
/// hours after the minute ends, so the console reads the last hour from 60 small hashes instead
/// of scanning an hour of streams on every poll. Pure, like the other projections;
/// `baedalctl rebuild dashboards` recomputes it the same way.
public struct OrderFlowProjection: Sendable {
    public let keys: Keys
    /// How long a minute's hash is kept after the minute ends.
    public static let retentionSeconds: Int64 = 7_200

    public init(keys: Keys) {
        self.keys = keys
    }

    /// The status an event moves its order to (the contract's events and status list).
    public static func status(after type: EventType) -> String? {
        switch type {
        case .orderPlaced: "placed"
        case .orderAccepted: "accepted"
        case .orderRejected: "rejected"
        case .cookingStarted: "cooking"
        case .cookingFinished: "cooked"
        case .deliveryPicked: "picked"
        case .deliveryCompleted: "delivered"
        case .orderCompleted: "completed"
        case .orderCancelled: "cancelled"
        default: nil
        }
    }

    /// One more order in the event's status, in the minute of its `at`; an event without a time
    /// (`at` absent or 0, as hand-written entries may be) is in no minute and changes nothing.
    public func effects(of event: EventEnvelope, type: EventType) -> Effects {
        guard event.at > 0, let status = Self.status(after: type) else { return .none }
        let minute = event.at / 60_000
        if keys.tag != nil {
            let hour = minute / 60
            let key = keys.ordersPerHour(hour)
            return Effects([
                .increment(hash: key, field: "\(minute):\(status)", by: 1),
                .expire(key: key, type: .hash, atSeconds: (hour + 1) * 3_600 + Self.retentionSeconds),
            ])
        }
        let key = keys.ordersPerMinute(minute)
        return Effects([
            .increment(hash: key, field: status, by: 1),
            .expire(key: key, type: .hash, atSeconds: (minute + 1) * 60 + Self.retentionSeconds),
        ])
    }
}
