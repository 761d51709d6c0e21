import Dispatch
import Synchronization

/// One refresh of a cluster's slot map in flight, and everyone waiting for it: blocking callers
/// (a `RedisClient`'s own thread) and async ones (an event loop's request) alike, so a hundred
/// `MOVED` replies at once cost one `CLUSTER SHARDS`.
final class ClusterRefresh: Sendable {
    typealias Outcome = Result<ClusterSlotMap, RedisError>

    private struct State {
        var outcome: Outcome?
        var waiters: [@Sendable (Outcome) -> Void] = []
    }

    private let state = Mutex(State())

    /// Tells every waiter, once.
    func finish(_ outcome: Outcome) {
        let waiters = state.withLock { state -> [@Sendable (Outcome) -> Void] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter(outcome) }
    }

    /// Runs `body` with the outcome: now if it is known, else when it is.
    func whenDone(_ body: @escaping @Sendable (Outcome) -> Void) {
        let known = state.withLock { state -> Outcome? in
            if let outcome = state.outcome { return outcome }
            state.waiters.append(body)
            return nil
        }
        if let known { body(known) }
    }

    /// Blocks the calling thread until the outcome is known (for the hiredis clients' threads).
    func wait() -> Outcome {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Outcome?>(nil)
        whenDone { outcome in
            box.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return box.withLock { $0 } ?? .failure(.closed)
    }

    /// Suspends the calling task until the outcome is known.
    func value() async -> Outcome {
        await withCheckedContinuation { continuation in whenDone { continuation.resume(returning: $0) } }
    }
}
