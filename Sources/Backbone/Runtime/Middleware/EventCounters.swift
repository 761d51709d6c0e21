import Contract
import Metrics
import Synchronization

/// Counters of one outcome per event type, made once per type: a type's counter is found by
/// comparing the entry's `type` bytes, so counting allocates nothing. Types beyond 100 share
/// the label `other`.
final class EventCounters: Sendable {
    let policy: String
    let outcome: String
    private let counters = Mutex<[(type: [UInt8], counter: Counter)]>([])

    init(policy: String, outcome: String) {
        self.policy = policy
        self.outcome = outcome
    }

    func count(_ message: StreamMessage) {
        guard let type = message.fields.first(where: { $0.name == "type" })?.value else { return count(Array("-".utf8)) }
        count(type)
    }

    func count(_ type: [UInt8]) {
        let counter = counters.withLock { counters -> Counter in
            if let known = counters.first(where: { $0.type == type }) { return known.counter }
            let label = counters.count < 100 ? String(decoding: type, as: UTF8.self) : "other"
            let counter = Counter(label: "baedal_events_total", dimensions: [("policy", policy), ("type", label), ("outcome", outcome)])
            counters.append((type, counter))
            return counter
        }
        counter.increment()
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

}
