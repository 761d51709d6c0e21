import Contract

/// `baedal-worker projector`: keeps the dashboards (with orders per minute by status), the
/// customers' views and the stages' recent durations (for the estimated delivery time) from the
/// order, store and delivery streams.
public enum Projector {
    public static let name = "projector"

    /// The events whose data a projection reads (items, customer, store, rider).
    public static let readsData: Set<EventType> = [.orderPlaced, .orderCancelled, .orderRejected, .deliveryPicked, .cookingStarted, .cookingFinished,
                                                   .orderAccepted, .deliveryCompleted]

    public static func policy(keys: Keys) -> Policy {
        let dashboards = DashboardProjection(keys: keys)
        let views = ViewProjection(keys: keys)
        let flow = OrderFlowProjection(keys: keys)
        let timings = StageTimingProjection(keys: keys)
        return Policy(name: name, streams: [.order, .store, .delivery]) { message in
            let event = try EventEnvelope(message)
            guard let stream = keys.streamName(ofKey: message.stream), let type = EventType.on(stream, event.type) else { return .none }
            // Read once, for the projections that look into it; the flow counts types alone.
            let data = readsData.contains(type) ? try event.decoded() : EventData()
            return try dashboards.effects(of: event, type: type, data: data) + views.effects(of: event, type: type, data: data)
                + flow.effects(of: event, type: type) + timings.effects(of: event, type: type, data: data)
        }
    }
}
