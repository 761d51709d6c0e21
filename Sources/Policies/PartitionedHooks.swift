import Backbone
import Synchronization

/// The hooks of a daemon that runs one worker per policy and partition, told to its supervisor
/// as one: ready once every worker is, the latest status (prefixed with how many are ready until
/// all are), alive from any of them, stopping once.
public final class PartitionedHooks: WorkerHooks {
    private let base: any WorkerHooks
    private let partitions: Int
    private struct State {
        var expected = 0
        var ready = 0
        var stopping = false
    }
    private let state = Mutex(State())

    public init(_ base: any WorkerHooks, count partitions: Int) {
        self.base = base
        self.partitions = partitions
    }

    /// `workers` more workers will report.
    public func expect(_ workers: Int) { state.withLock { $0.expected += workers } }

    public func ready(_ status: String) {
        let (ready, expected) = state.withLock { state in
            state.ready += 1
            return (state.ready, state.expected)
        }
        if ready == expected {
            base.ready(partitions > 1 ? "\(status) (\(partitions) partitions)" : status)
        } else if ready < expected {
            base.status("\(ready) of \(expected) workers ready; \(status)")
        }
    }

    public func status(_ status: String) { base.status(status) }
    public func alive() { base.alive() }

    public func stopping() {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { base.stopping() }
    }
}
