import Logging
import Metrics
import Redis
import ServiceLifecycle
import Synchronization

/// Watches Redis from a connection of its own: a `PING` every half second. Readiness endpoints
/// and `READY=1` read the answer without waiting on Redis themselves; the gauge `baedal_redis_up`
/// says the same to Prometheus (1 after an answer, 0 after a failed or timed-out `PING`).
public final class RedisHealth: Service, Sendable {
    private let client: RedisClient
    private let lastAnswer = Mutex<ContinuousClock.Instant?>(nil)
    private let stale: Duration
    private let interval: Duration
    private let up = Gauge(label: "baedal_redis_up")

    public init(configuration: RedisConfiguration, interval: Duration = .milliseconds(500), stale: Duration = .seconds(2), logger: Logger) {
        var configuration = configuration
        configuration.readTimeoutMilliseconds = 1_000
        configuration.connectTimeoutMilliseconds = 500
        client = RedisClient(configuration: configuration, label: "health", maxBackoffMilliseconds: 500, logger: logger)
        self.interval = interval
        self.stale = stale
    }

    /// Redis answered a `PING` recently.
    public var isReachable: Bool {
        lastAnswer.withLock { last in last.map { ContinuousClock.now - $0 < stale } ?? false }
    }

    /// Pings once now; true when Redis answered.
    @discardableResult
    public func check() async -> Bool {
        do {
            _ = try await client.send(RedisCommand("PING"))
            lastAnswer.withLock { $0 = .now }
            up.record(1)
            return true
        } catch {
            up.record(0)
            return false
        }
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await check()
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
        client.close()
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
