import API
import Observability
import Backbone
import Hummingbird
import Logging
import Redis
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `baedal-payment`: the payment gateway stand-in (a third-party PG in real life).
let settings: PaymentGatewaySettings
do {
    settings = try PaymentGatewaySettings()
} catch {
    ProcessSupport.fail("baedal-payment: \(error.description)")
}
let logger = ProcessSupport.bootstrapLogging(label: "baedal.payment")
let registry = PrometheusSetup.bootstrap()
let pool = RedisPool(configuration: settings.environment.redis, size: 8, logger: logger)
let health = RedisHealth(configuration: settings.environment.redis, logger: logger)
let gateway = PaymentGatewayApp(settings: settings, pool: pool, health: health, registry: registry, logger: logger)
let app = Application(
    router: gateway.router(),
    configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "baedal-payment"),
    onServerRunning: { _ in
        logger.notice("listening", metadata: ["address": "http://\(settings.host):\(settings.port)", "latencyMs": "\(settings.latency)",
                                              "declineAbove": "\(settings.declineAbove.map(String.init) ?? "none")"])
    },
    logger: logger
)
let group = ServiceGroup(configuration: .init(
    services: [app, health, ReadinessNotifier(health: health, status: "serving on \(settings.host):\(settings.port)")],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger
))
do {
    try await group.run()
} catch {
    logger.critical("stopped", metadata: ["error": "\(error)"])
    pool.close()
    exit(1)
}
pool.close()
