import Contract
import Metrics

extension StandardMiddleware {
    /// Counts handled and failed messages per policy and event type
    /// (`baedal_events_total{policy,type,outcome}`) and times each handling
    /// (`baedal_event_handling_seconds{policy}`). Nothing is allocated per message.
    public static func metrics(policy: String) -> Middleware {
        let handled = EventCounters(policy: policy, outcome: "handled")
        let failed = EventCounters(policy: policy, outcome: "failed")
        let timer = Timer(label: "baedal_event_handling_seconds", dimensions: [("policy", policy)])
        return { next in
            { message in
                let started = ContinuousClock.now
                do {
                    let effects = try await next(message)
                    handled.count(message)
                    timer.recordInterval(since: started)
                    return effects
                } catch {
                    failed.count(message)
                    timer.recordInterval(since: started)
                    throw error
                }
            }
        }
    }
}
