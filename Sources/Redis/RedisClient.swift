import Dispatch
import Logging
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A Redis connection with a thread of its own. Calls are async for the caller but block only
/// the client's private queue, never Swift's cooperative pool, so `XREADGROUP ... BLOCK` is safe.
///
/// A broken connection (Redis restarted, `CLIENT KILL`, network error) is replaced on the next
/// call; failed connects back off from 100 ms doubling up to `maxBackoffMilliseconds`.
/// A command whose reply was lost is never re-sent: the caller gets `connectionLost` and decides.
///
/// On a cluster configuration pinned to a slot (`RedisConfiguration.pinned(to:)`) the connection
/// goes to that slot's primary and follows it: `send` and `pipeline` follow `MOVED`, `ASK`,
/// `TRYAGAIN`, `CLUSTERDOWN` themselves (see `RedisClient+Cluster`); inside `withConnection` a
/// routing reply is thrown as `RedisError.routing` for the caller to retry, and the connection is
/// replaced before the next call once the slot has moved.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    public let maxBackoffMilliseconds: Int
    private let queue: DispatchQueue
    private let logger: Logger
    private let state = Mutex(State())
    private let inFlightCount = Atomic<Int>(0)

    private struct State: ~Copyable {
        var connection: RedisConnection?
        var closed = false
        var failures = 0
        var nextAttempt: ContinuousClock.Instant?
        /// Set by `interrupt()`: the next reconnect is expected, not news.
        var interrupted = false
    }

    public init(configuration: RedisConfiguration, label: String = "redis", maxBackoffMilliseconds: Int = 3_000, logger: Logger = Logger(label: "baedal.redis")) {
        self.configuration = configuration
        // Behind Sentinel (or in a cluster) a failed connect is a failover under way: ask again soon.
        self.maxBackoffMilliseconds = configuration.sentinel == nil && configuration.cluster == nil
            ? maxBackoffMilliseconds : min(maxBackoffMilliseconds, 1_000)
        self.queue = DispatchQueue(label: "baedal.\(label)")
        self.logger = logger
    }

    /// Commands queued or running on this client right now (used by the pool to pick the idlest).
    public var inFlight: Int { inFlightCount.load(ordering: .relaxed) }

    /// Sends one command; an error reply is thrown as `RedisError.server`.
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        if let slot = configuration.cluster?.slot {
            return try await onQueue { _ throws(RedisError) in try self.followingCluster([command], slot: slot, keepingErrors: false)[0] }
        }
        return try await onQueue { connection throws(RedisError) in try connection.send(command) }
    }


    /// One round trip for all the commands; the first error reply is thrown (after every reply
    /// was read).
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        if let slot = configuration.cluster?.slot {
            return try await onQueue { _ throws(RedisError) in try self.followingCluster(commands, slot: slot, keepingErrors: false) }
        }
        return try await onQueue { connection throws(RedisError) in try connection.pipeline(commands) }
    }

    /// One round trip for all the commands; error replies stay in place as `.error`.
    public func pipelineKeepingErrors(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        if let slot = configuration.cluster?.slot {
            return try await onQueue { _ throws(RedisError) in try self.followingCluster(commands, slot: slot, keepingErrors: true) }
        }
        return try await onQueue { connection throws(RedisError) in try connection.pipelineKeepingErrors(commands) }
    }

    /// Runs `body` with the live connection on the client's own thread: for work that needs
    /// several commands back to back without a hop in between.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T) async throws -> T {
        try await onQueue(body)
    }

    /// Wakes a blocked command now; it fails with `connectionLost` and the next call reconnects.
    public func interrupt() {
        state.withLock { state -> RedisConnection? in
            state.interrupted = true
            return state.connection
        }?.interrupt()
    }

    /// Stops the client: the blocked command (if any) is woken, later calls throw `closed`.
    public func close() {
        let connection = state.withLock { state -> RedisConnection? in
            state.closed = true
            return state.connection
        }
        connection?.interrupt()
        queue.async {
            self.state.withLock { state in
                state.connection?.close()
                state.connection = nil
            }
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T) async throws -> T {
        inFlightCount.add(1, ordering: .relaxed)
        defer { inFlightCount.subtract(1, ordering: .relaxed) }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws(RedisError) -> T in
                    let connection = try self.liveConnection()
                    return try body(connection)
                })
            }
        }
    }

    /// On the queue: the current connection if it is healthy, else a new one (after backoff).
    func liveConnection() throws(RedisError) -> RedisConnection {
        let (existing, closed, waitUntil) = state.withLock { ($0.connection, $0.closed, $0.nextAttempt) }
        if closed { throw .closed }
        if let existing {
            if !existing.isBroken && !existing.peerHasClosed && !existing.isBehindAFailover { return existing }
            existing.close()
            let expected = state.withLock { state -> Bool in
                state.connection = nil
                defer { state.interrupted = false }
                return state.interrupted
            }
            if !expected {
                logger.warning("redis connection lost; reconnecting", metadata: ["redis": "\(configuration)"])
            }
        }
        if let waitUntil {
            while ContinuousClock.now < waitUntil {
                if state.withLock({ $0.closed }) { throw .closed }
                usleep(20_000)
            }
        }
        let connection: RedisConnection
        do {
            connection = try RedisConnection(configuration: configuration)
        } catch {
            let delay = state.withLock { state -> Int in
                state.failures += 1
                let delay = min(maxBackoffMilliseconds, 100 << min(state.failures - 1, 16))
                state.nextAttempt = .now + .milliseconds(delay)
                return delay
            }
            logger.warning("redis unreachable; retrying with backoff", metadata: [
                "redis": "\(configuration)", "reason": "\(error)", "retryInMs": "\(delay)",
            ])
            throw error
        }
        let (hadFailures, stillOpen) = state.withLock { state -> (Int, Bool) in
            let failures = state.failures
            state.failures = 0
            state.nextAttempt = nil
            if !state.closed { state.connection = connection }
            return (failures, !state.closed)
        }
        guard stillOpen else { connection.close(); throw .closed }
        if existing != nil || hadFailures > 0 {
            Counter(label: "baedal_redis_reconnects_total").increment()
        }
        if hadFailures > 0 {
            logger.notice("redis reachable again", metadata: ["redis": "\(configuration)", "failedAttempts": "\(hadFailures)"])
        }
        return connection
    }
}
