import Backbone
import Dashboards
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `baedal-worker POLICY`: one policy daemon in the consumer group named after the policy.
let policies: [String: @Sendable (Keys) -> Policy] = [
    Projector.name: Projector.policy,
]
let known = policies.keys.sorted().joined(separator: ", ")

func fail(_ message: String) -> Never {
    let line = Array("baedal-worker: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" {
    print("usage: baedal-worker POLICY    (policies: \(known); settings from BAEDAL_* environment variables)")
    exit(0)
}
guard arguments.count == 1, let name = arguments.first else {
    fail("usage: baedal-worker POLICY (policies: \(known))")
}
guard let makePolicy = policies[name] else {
    fail("unknown policy '\(name)' (policies: \(known))")
}
let environment: BaedalEnvironment
do {
    environment = try BaedalEnvironment()
} catch {
    fail(error.description)
}

let level = Logger.Level(rawValue: getenv("BAEDAL_LOG_LEVEL").map { String(cString: $0) } ?? "info") ?? .info
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = level
    return handler
}
let logger = Logger(label: "baedal.worker")
let worker = ConsumerGroupWorker(
    policy: makePolicy(environment.keys),
    settings: WorkerSettings(environment),
    redis: environment.redis,
    logger: logger
)
let group = ServiceGroup(configuration: .init(
    services: [worker],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger
))
try await group.run()
