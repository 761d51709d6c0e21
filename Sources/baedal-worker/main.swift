import Backbone
import Daemon
import Logging
import Observability
import Policies
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `baedal-worker POLICY`: one policy daemon in the consumer group named after the policy.
let known = PolicyCatalog.names.joined(separator: ", ")

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" {
    let lines = PolicyCatalog.daemons.map { "    \($0.name): \($0.summary)\($0.settings.isEmpty ? "" : " (\($0.settings.joined(separator: ", ")))")" }
    print("""
    usage: baedal-worker POLICY
      policies:
    \(lines.joined(separator: "\n"))
      settings: BAEDAL_REDIS_URL, BAEDAL_PREFIX, BAEDAL_CONSUMER, BAEDAL_CLAIM_IDLE_MS, BAEDAL_MAX_DELIVERIES,
                BAEDAL_LOG_LEVEL, BAEDAL_METRICS_PORT (Prometheus /metrics, off unless set)
    """)
    exit(0)
}
guard arguments.count == 1, let name = arguments.first else {
    ProcessSupport.fail("baedal-worker: usage: baedal-worker POLICY (policies: \(known))")
}
guard let daemon = PolicyCatalog.daemon(named: name) else {
    ProcessSupport.fail("baedal-worker: unknown policy '\(name)' (policies: \(known))")
}
let variables = ProcessInfo.processInfo.environment
let environment = ProcessSupport.environment(of: "baedal-worker", variables)
let logger = ProcessSupport.bootstrapLogging(label: "baedal.worker")
var services: [any Service] = []
if let text = variables["BAEDAL_METRICS_PORT"], !text.isEmpty {
    // `N`: exactly that port. `N+`: the first free one from N up (N … N+63), so that every instance
    // on a host can share one environment file; the port taken is logged and in systemd's STATUS.
    let range = text.hasSuffix("+") ? Int(text.dropLast()).map { $0...($0 + 63) } : Int(text).map { $0...$0 }
    guard let range, range.lowerBound >= 1, range.upperBound <= 65535 else {
        ProcessSupport.fail("baedal-worker: BAEDAL_METRICS_PORT must be a port number, or a port followed by + (the first free one from it), got '\(text.prefix(40))'")
    }
    let host = variables["BAEDAL_METRICS_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
    do {
        services += try MetricsServer.services(host: host, ports: range, redis: environment.redis, logger: logger)
    } catch {
        ProcessSupport.fail("baedal-worker: BAEDAL_METRICS_PORT \(text): \(error)")
    }
}
let policies: [Policy]
do {
    policies = try daemon.policies(PolicyContext(environment: environment, variables: variables, logger: logger))
} catch {
    ProcessSupport.fail("baedal-worker: \(error.description)")
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
