import Backbone

/// `baedal-worker projector`: keeps the dashboards (with orders per minute by status) and the
/// customers' views from the order, store and delivery streams.
public enum Projector {
    public static let name = "projector"

    public static func policy(keys: Keys) -> Policy {
        let dashboards = DashboardProjection(keys: keys)
        let views = ViewProjection(keys: keys)
        let flow = OrderFlowProjection(keys: keys)
        return Policy(name: name, streams: [.order, .store, .delivery]) { message in
            let event = try EventEnvelope(message)
            guard let stream = keys.streamName(ofKey: message.stream) else { return .none }
            var effects = try dashboards.effects(of: event, on: stream)
            effects.writes += try views.effects(of: event, on: stream).writes
            effects.writes += flow.effects(of: event, on: stream).writes
            return effects
        }
    }
}
