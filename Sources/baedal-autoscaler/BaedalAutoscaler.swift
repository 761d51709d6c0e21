import ArgumentParser
import Autoscaler
import Autoscaling
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

/// `baedal-autoscaler`: sizes each policy's instances to its backlog (see `Autoscaler`).
@main
struct BaedalAutoscaler: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baedal-autoscaler",
        abstract: "Keep each policy's instance count between MIN and MAX, sized to its group's lag and pending.",
        discussion: """
        Every interval: wanted = ceil((lag + pending) / lag-per-instance) within MIN to MAX; up at once, down only after the \
        backlog stayed low for the cool-down. Scaling down is SIGTERM: an instance finishes and acknowledges what it holds. \
        Policies: \(PolicyCatalog.names.joined(separator: ", ")). The process launcher's children get the same environment \
        (without BAEDAL_METRICS_PORT) and BAEDAL_CONSUMER=<host>-NAME-K. A usage error: one line on stderr, exit 64; a \
        setting it cannot use: one line, exit 2.

        \((BaedalEnvironment.backboneSettings + ProcessSupport.loggingSettings + SystemdNotifier.settings).helpSection())
        """,
        version: BaedalVersion.current
    )

    static func main() async { await runCommandLine() }

    enum LauncherKind: String, ExpressibleByArgument, CaseIterable {
        case systemd, process
    }

    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy to scale and its bounds (repeatable).", valueName: "NAME:MIN:MAX"))
    var policies: [String] = []

    @Option(help: ArgumentHelp("Backlog (lag + pending) one instance is meant to carry.", valueName: "N"))
    var lagPerInstance = 5_000

    @Option(help: ArgumentHelp("Seconds between two looks at the backlog.", valueName: "SECONDS"))
    var interval = 5.0

    @Option(help: ArgumentHelp("Seconds the backlog must stay low before instances are stopped.", valueName: "SECONDS"))
    var coolDown = 60.0

    @Option(help: "systemd: baedal-worker@NAME-K units through systemctl; process: baedal-worker children of this process.")
    var launcher: LauncherKind

    @Option(help: ArgumentHelp("process launcher: the baedal-worker executable (default: the one beside this one).", valueName: "PATH"))
    var worker: String?

    @Option(help: ArgumentHelp("process launcher: write each instance's output to DIR/worker-NAME-K.log (default: this process's stderr).",
                               valueName: "DIR"))
    var logDirectory: String?

    @Option(help: ArgumentHelp("Serve /metrics and /health on this port (0: not at all).", valueName: "PORT"))
    var metricsPort = 8082

    @Option(help: ArgumentHelp("Address for /metrics.", valueName: "HOST"))
    var metricsHost = "127.0.0.1"

    var rules: [ScalingRule] {
        get throws {
            try policies.map { text in
                do {
                    return try ScalingRule(parsing: text)
                } catch {
                    throw ValidationError("--policy \(error)")
                }
            }
        }
    }

    func validate() throws {
        let rules = try self.rules
        guard !rules.isEmpty else { throw ValidationError("at least one --policy NAME:MIN:MAX is needed") }
        for rule in rules where PolicyCatalog.daemon(named: rule.policy) == nil {
            throw ValidationError("--policy: unknown policy '\(rule.policy.prefix(80))' (policies: \(PolicyCatalog.names.joined(separator: ", ")))")
        }
        let names = rules.map(\.policy)
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw ValidationError("--policy \(twice) is given twice")
        }
        guard (1...1_000_000_000).contains(lagPerInstance) else { throw ValidationError("--lag-per-instance must be 1…1000000000") }
        guard interval.isFinite, (0.1...3_600).contains(interval) else { throw ValidationError("--interval must be 0.1…3600 seconds") }
        guard coolDown.isFinite, (0...86_400).contains(coolDown) else { throw ValidationError("--cool-down must be 0…86400 seconds") }
        guard (0...65_535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0…65535") }
        if launcher == .systemd && (worker != nil || logDirectory != nil) {
            throw ValidationError("--worker and --log-directory are for --launcher process")
        }
        if let logDirectory, access(logDirectory, W_OK) != 0 {
            throw ValidationError("--log-directory \(logDirectory.prefix(200)) is not a writable directory")
        }
    }

    func run() async throws {
        let variables = ProcessInfo.processInfo.environment
        let environment = ProcessSupport.environment(of: "baedal-autoscaler", variables)
        let logger = ProcessSupport.bootstrapLogging(label: "baedal.autoscaler")
        await PartitionRecord.hold(environment.keySpace, redis: environment.redis, name: "baedal-autoscaler", logger: logger)
        let settings = AutoscalerSettings(rules: try rules, lagPerInstance: lagPerInstance, interval: .milliseconds(Int64(interval * 1000)),
                                          coolDown: .milliseconds(Int64(coolDown * 1000)), keys: environment.keys,
                                          keySpace: environment.keySpace)
        let launcher: any WorkerLauncher
        switch self.launcher {
        case .systemd:
            launcher = SystemdLauncher(environment: variables, logger: logger)
        case .process:
            let worker = self.worker ?? Self.besideThisExecutable("baedal-worker")
            guard access(worker, X_OK) == 0 else { ProcessSupport.fail("baedal-autoscaler: \(worker) is not an executable (--worker)") }
            launcher = ProcessLauncher(worker: worker, host: ProcessInfo.processInfo.hostName, environment: variables,
                                       logDirectory: logDirectory, logger: logger)
        }
        var services: [any Service] = [Autoscaler(settings: settings, launcher: launcher, redis: environment.redis, logger: logger)]
        if metricsPort != 0 {
            do {
                services += try MetricsServer.services(host: metricsHost, ports: metricsPort...metricsPort, redis: environment.redis, logger: logger)
            } catch {
                ProcessSupport.fail("baedal-autoscaler: --metrics-port \(metricsPort): \(error)")
            }
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// `name` in the directory of this executable (`/proc/self/exe`).
    static func besideThisExecutable(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return name }
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[...slash]) + name
    }
}
