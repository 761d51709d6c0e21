import Backbone
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The small HTTP server a worker runs when `BAEDAL_METRICS_PORT` is set: `/metrics`,
/// `/health/live`, `/health/ready`, on loopback unless `BAEDAL_METRICS_HOST` says otherwise.
public enum MetricsServer {
    public static func service(host: String, port: Int, health: RedisHealth, registry: PrometheusCollectorRegistry,
                               name: String, logger: Logger) -> any Service {
        let router = Router(context: BaedalContext.self)
        router.add(middleware: ErrorMiddleware())
        HealthController(health: health, registry: registry, details: { [] }).addRoutes(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { _ in logger.notice("metrics on http://\(host):\(port)/metrics") },
            logger: logger
        )
    }
}
