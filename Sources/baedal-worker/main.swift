import ArgumentParser
import Backbone
import Contract
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
struct WorkerCommand: ParsableCommand {
    /// What the worker reads besides the backbone's, the consumer's and its policy's settings.
    static let metricsSettings: [EnvironmentSetting] = [
        .init("BAEDAL_METRICS_PORT", default: "off", "serve Prometheus /metrics on this port: N, or N+ for the first free one of N to N+63"),
        .init("BAEDAL_METRICS_HOST", default: "127.0.0.1", "the address of /metrics"),
    ]
    static let settings = BaedalEnvironment.backboneSettings + BaedalEnvironment.consumerSettings + metricsSettings
        + PolicyCatalog.daemons.flatMap(\.settings) + ProcessSupport.loggingSettings + ProcessSupport.tracingSettings + SystemdNotifier.settings

    static let configuration = CommandConfiguration(
        commandName: "baedal-worker",
        abstract: "Run one policy daemon in the Redis consumer group named after the policy.",
        discussion: """
        Any number of instances of one policy may run, on any hosts. SIGTERM: it stops reading, finishes and \
        acknowledges what it holds, and exits 0. A setting it cannot use, an unknown policy, or a Redis user refused \
        a command or key it needs (NOPERM): one line on stderr, exit 2.

        Policies:
        \(PolicyCatalog.daemons.map { HelpText.item($0.name, $0.summary) }.joined(separator: "\n"))

        \(settings.helpSection())
        """,
        version: BaedalVersion.current
    )

    @Argument(help: ArgumentHelp("The policy to run: \(PolicyCatalog.names.joined(separator: ", ")).", valueName: "POLICY"),
              completion: .list(PolicyCatalog.names))
    var policy: String
}

let name = WorkerCommand.parseCommandLine().policy
guard let daemon = PolicyCatalog.daemon(named: name) else {
    ProcessSupport.fail("baedal-worker: unknown policy '\(name)' (policies: \(PolicyCatalog.names.joined(separator: ", ")))")
}
let variables = ProcessInfo.processInfo.environment
let environment = ProcessSupport.environment(of: "baedal-worker", variables)
let logger = ProcessSupport.bootstrapLogging(label: "baedal.worker")
// First in the group: it stops last, posting the spans the workers ended while stopping.
let tracing = ProcessSupport.bootstrapTracing(variables, service: "baedal-worker", attributes: [("baedal.policy", name)], logger: logger)
await PartitionRecord.hold(environment.keySpace, redis: environment.redis, name: "baedal-worker", logger: logger)
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
// One worker per policy and partition: each blocks on its own partition's streams (on a cluster,
// on that partition's primary), so no partition waits on another and an idle one costs a blocked
// read, not a poll. systemd hears READY once every one of them is ready.
var workers: [ConsumerGroupWorker] = []
var pumps: [DeadlinePump] = []
let hooks = PartitionedHooks(SystemdHooks(), count: environment.partitions)
for partition in 0..<environment.partitions {
    let context = PolicyContext(environment: environment, variables: variables, logger: logger, partition: partition)
    let policies: [Policy]
    do {
        policies = try daemon.policies(context)
    } catch {
        ProcessSupport.fail("baedal-worker: \(error.description)")
    }
    hooks.expect(policies.count)
    for policy in policies {
        workers.append(ConsumerGroupWorker(policy: policy, settings: WorkerSettings(environment, keys: context.keys), redis: environment.redis,
                                           hooks: hooks, logger: context.logger))
    }
    if daemon.deadlines {
        pumps.append(DeadlinePump(timers: context.keys.deadlines, stream: context.keys.stream(.deadlines), redis: environment.redis,
                                  partition: partition, logger: context.logger))
    }
}
let group = ServiceGroup(configuration: .init(
    services: tracing + workers.map { $0 as any Service } + pumps.map { $0 as any Service } + services,
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger
))
do {
    try await group.run()
} catch let stopped as WorkerStopped {
    ProcessSupport.fail("baedal-worker: \(stopped)", status: 2)
}
