import Daemon
import HTTPLite
import Logging
import Prometheus
import Redis
import ServiceLifecycle

/// What a worker serves when `BAEDAL_METRICS_PORT` is set: `/metrics`, `/health/live`,
/// `/health/ready`, on loopback unless `BAEDAL_METRICS_HOST` says otherwise.
public struct MetricsServer: Service {
    let server: HTTPLiteServer
    let logger: Logger

    public init(host: String, port: Int, health: RedisHealth, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        server = try HTTPLiteServer(host: host, port: port) { path in
            switch path {
            case "/metrics": return (200, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
            case "/health/live": return (200, "application/json", Array(#"{"status":"live"}"#.utf8))
            case "/health/ready":
                let ready = health.isReachable
                return (ready ? 200 : 503, "application/json",
                        Array((ready ? #"{"status":"ready","redis":"reachable"}"# : #"{"status":"unavailable","redis":"unreachable"}"#).utf8))
            default: return (404, "application/json", Array(#"{"error":"not_found","message":"no such path"}"#.utf8))
            }
        }
        self.logger = logger
        logger.notice("metrics on http://\(host):\(port)/metrics")
    }

    /// What a daemon without an HTTP server of its own runs to be scraped and probed: Prometheus
    /// bootstrapped, a `RedisHealth` watcher, this server on `host` at the first port of `ports`
    /// that is free, and the process's own metrics. Throws the last port's error when none is.
    public static func services(host: String, ports: ClosedRange<Int>, redis: RedisConfiguration, logger: Logger) throws -> [any Service] {
        let registry = PrometheusSetup.bootstrap()
        let health = RedisHealth(configuration: redis, logger: logger)
        var lastError: (any Error)?
        for port in ports {
            do {
                return [health, try MetricsServer(host: host, port: port, health: health, registry: registry, logger: logger), ProcessMetrics()]
            } catch {
                lastError = error
            }
        }
        throw lastError ?? HTTPLite.Failure.unreachable("no port free in \(ports)")
    }

    public func run() async throws {
        server.start()
        try? await gracefulShutdown()
        server.stop()
    }
}
