import ArgumentParser
import Daemon
import HTTPServer
import Logging
import Observability
import PaymentGatewayStandIn
import Redis
import RedisNIO

#if canImport(Glibc)
import Glibc
#endif

/// `baedal-payment`: the payment gateway stand-in (a third-party PG in real life).
struct PaymentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baedal-payment",
        abstract: "Serve the payment gateway stand-in: authorises and cancels payments, keeps its records, publishes payment events.",
        discussion: """
        A third-party gateway in real life: slowness and declines are set by BAEDAL_PAYMENT_LATENCY_MS and \
        BAEDAL_PAYMENT_DECLINE_ABOVE. Listens on BAEDAL_PAYMENT_HOST:BAEDAL_PAYMENT_PORT, or on the socket systemd \
        passes. A setting it cannot use: one line on stderr, exit 2.

        \(PaymentGatewaySettings.settings.helpSection())
        """,
        version: BaedalVersion.current
    )
}

_ = PaymentCommand.parseCommandLine()
let settings: PaymentGatewaySettings
do {
    settings = try PaymentGatewaySettings()
} catch {
    ProcessSupport.fail("baedal-payment: \(error.description)")
}
let logger = ProcessSupport.bootstrapLogging(label: "baedal.payment")
let tracing = ProcessSupport.bootstrapTracing(service: "baedal-payment", logger: logger)
let registry = PrometheusSetup.bootstrap()
await PartitionRecord.hold(settings.environment.keySpace, redis: settings.environment.redis, name: "baedal-payment", logger: logger)
var requests = settings.environment.redis
requests.readTimeoutMilliseconds = 3_000  // a frozen primary costs a request 3 s, not 15
let redis = NIORedisClient.executor(for: requests, logger: logger)
let health = RedisHealth(configuration: settings.environment.redis, logger: logger)
let gateway = PaymentGatewayApp(settings: settings, redis: redis, health: health, registry: registry, logger: logger)
await HTTPDaemon.serve(router: gateway.router(), host: settings.host, port: settings.port, limits: settings.http, name: "baedal-payment",
                       health: health, logger: logger,
                       listening: ["latencyMs": "\(settings.latency)", "declineAbove": "\(settings.declineAbove.map(String.init) ?? "none")"],
                       services: tracing + [ProcessMetrics()], cleanup: { redis.close() })
