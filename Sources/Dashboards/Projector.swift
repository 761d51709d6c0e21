import Backbone

/// `baedal-worker projector`: keeps the dashboards from the order, store and delivery streams.
public enum Projector {
    public static let name = "projector"

    public static func policy(keys: Keys) -> Policy {
        let projection = DashboardProjection(keys: DashboardKeys(keys))
        return Policy(name: name, streams: [.order, .store, .delivery]) { message in
            let event = try EventEnvelope(message)
            guard let stream = keys.streamName(ofKey: message.stream) else { return .none }
            return try projection.effects(of: event, on: stream)
        }
    }
}
