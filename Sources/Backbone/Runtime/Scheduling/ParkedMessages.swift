import Contract
import Synchronization

/// The failed messages this consumer holds until their next delivery is due: what it must
/// re-deliver (when due), keep (reclaiming them from itself before the claim time runs out, so
/// no other instance takes them early), or forget (acknowledged or gone). The durable record is
/// `RetryBook`; this is the worker's in-memory view of its own share.
final class ParkedMessages: Sendable {
    private let due = Mutex<[String: [String: Int64]]>([:])

    var isEmpty: Bool { due.withLock { $0.isEmpty } }

    var count: Int { due.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// The earliest due time, if any message is parked.
    var nextDue: Int64? { due.withLock { $0.values.flatMap(\.values).min() } }

    func park(_ entries: [RetryBook.Entry]) {
        due.withLock { due in
            for entry in entries { due[entry.stream, default: [:]][entry.id] = entry.due }
        }
    }

    /// Takes the messages due at `now` off the list, per stream.
    func takeDue(now: Int64) -> [String: [String]] {
        due.withLock { due in
            var ready: [String: [String]] = [:]
            for (stream, ids) in due {
                for (id, at) in ids where at <= now {
                    ready[stream, default: []].append(id)
                    due[stream]?[id] = nil
                }
                if due[stream]?.isEmpty == true { due[stream] = nil }
            }
            return ready
        }
    }

    /// Every parked id, per stream.
    var held: [String: [String]] { due.withLock { $0.mapValues { Array($0.keys) } } }

    func forget(_ ids: some Sequence<String>, stream: String) {
        due.withLock { due in
            for id in ids { due[stream]?[id] = nil }
            if due[stream]?.isEmpty == true { due[stream] = nil }
        }
    }
}
