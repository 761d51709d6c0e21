import Backbone
import HTTPLite
import Dashboards
import Deliveries
import Logging
import Notifications
import Observability
import Payments
import Redis
import ServiceLifecycle
import Stores

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `baedal-worker POLICY`: one policy daemon in the consumer group named after the policy.
let names = ["delivery-dispatch", "notification", "payment-refund", "projector", "store-inbox"]
let known = names.joined(separator: ", ")

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" {
    print("""
    usage: baedal-worker POLICY
      policies: \(known)
      settings: BAEDAL_REDIS_URL, BAEDAL_PREFIX, BAEDAL_CONSUMER, BAEDAL_CLAIM_IDLE_MS, BAEDAL_MAX_DELIVERIES,
                BAEDAL_LOG_LEVEL, BAEDAL_METRICS_PORT (Prometheus /metrics, off unless set);
                payment-refund: BAEDAL_PAYMENT_URL; notification: BAEDAL_NOTIFY_WEBHOOK
    """)
    exit(0)
}
guard arguments.count == 1, let name = arguments.first else {
    ProcessSupport.fail("baedal-worker: usage: baedal-worker POLICY (policies: \(known))")
}
guard names.contains(name) else {
    ProcessSupport.fail("baedal-worker: unknown policy '\(name)' (policies: \(known))")
}
let variables = ProcessInfo.processInfo.environment
let environment: BaedalEnvironment
do {
    environment = try BaedalEnvironment(variables)
} catch {
    ProcessSupport.fail("baedal-worker: \(error.description)")
}
let logger = ProcessSupport.bootstrapLogging(label: "baedal.worker")
var services: [any Service] = []
if let text = variables["BAEDAL_METRICS_PORT"], !text.isEmpty {
    guard let port = Int(text), (1...65535).contains(port) else {
        ProcessSupport.fail("baedal-worker: BAEDAL_METRICS_PORT must be a port number, got '\(text)'")
    }
    let registry = PrometheusSetup.bootstrap()
    let health = RedisHealth(configuration: environment.redis, logger: logger)
    let host = variables["BAEDAL_METRICS_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
    do {
        services += [health, try MetricsServer(host: host, port: port, health: health, registry: registry, logger: logger)]
    } catch {
        ProcessSupport.fail("baedal-worker: BAEDAL_METRICS_PORT: \(error)")
    }
}
let keys = environment.keys
var policies: [Policy] = []

switch name {
case Projector.name:
    policies = [Projector.policy(keys: keys)]
case StoreInbox.name:
    policies = [StoreInbox.policy(keys: keys)]
case DeliveryDispatch.name:
    policies = [DeliveryDispatch.policy(keys: keys)]
case PaymentRefund.name:
    let url = variables["BAEDAL_PAYMENT_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8081"
    guard HTTPLite.split(url) != nil else {
        ProcessSupport.fail("baedal-worker: BAEDAL_PAYMENT_URL must be an http:// URL, got '\(url)'")
    }
    let gateway = LitePaymentGateway(baseURL: url)
    let pool = RedisPool(configuration: environment.redis, size: 1, logger: logger)
    policies = [PaymentRefund.policy(keys: keys, gateway: gateway, pool: pool, logger: logger, now: epochMilliseconds)]
case Notification.name:
    let webhook = variables["BAEDAL_NOTIFY_WEBHOOK"].flatMap { $0.isEmpty ? nil : $0 }
    policies = [Notification.policy(keys: keys, webhook: webhook != nil)]
    if let webhook {
        guard HTTPLite.split(webhook) != nil else {
            ProcessSupport.fail("baedal-worker: BAEDAL_NOTIFY_WEBHOOK must be an http:// URL (use a local TLS proxy for https), got '\(webhook)'")
        }
        policies.append(WebhookSender.policy(url: webhook, logger: logger))
    }
default:
    ProcessSupport.fail("baedal-worker: unknown policy '\(name)' (policies: \(known))")
}

let workers = policies.map { policy in
    ConsumerGroupWorker(policy: policy, settings: WorkerSettings(environment), redis: environment.redis, logger: logger)
}
let group = ServiceGroup(configuration: .init(
    services: workers.map { $0 as any Service } + services,
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger
))
try await group.run()
