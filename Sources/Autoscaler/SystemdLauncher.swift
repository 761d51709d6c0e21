import Autoscaling
import Logging
import Synchronization

/// `--launcher systemd`: instance K of a policy is the unit `baedal-worker@NAME-K.service`
/// (the template in `ops/systemd/`), started with `systemctl start --no-block` and stopped with
/// `systemctl stop --no-block` (the unit's `KillSignal=SIGTERM`: the worker finishes and
/// acknowledges what it holds). Units outlive the autoscaler; a new one takes them over.
/// `systemctl` is looked up on `PATH`.
public final class SystemdLauncher: WorkerLauncher {
    public let kind = "systemd"
    private let environment: [String: String]
    private let logger: Logger
    private let thread = SpawnThread(name: "baedal-systemctl")
    /// Instances seen running by the last survey, to report a unit that failed once.
    private let lastRunning = Mutex<Set<WorkerInstance>>([])

    public init(environment: [String: String], logger: Logger) {
        self.environment = environment
        self.logger = logger
    }

    public func survey(_ policy: String) async throws(LaunchFailure) -> LauncherSurvey {
        // Every number a rule may use, so that instances above a lowered MAX are found and stopped.
        let instances = (1...ScalingRule.maximumInstances).map { WorkerInstance(policy: policy, number: $0) }
        let (_, output) = try await systemctl(["is-active"] + instances.map(\.unit))
        let states = output.split(separator: "\n").map { String($0.filter { !$0.isWhitespace }) }
        guard states.count == instances.count else {
            throw LaunchFailure("systemctl is-active answered \(states.count) lines for \(instances.count) units: \(output.prefix(200))")
        }
        var survey = LauncherSurvey(running: [])
        for (instance, state) in zip(instances, states) {
            switch state {
            case "active", "activating", "reloading": survey.running.append(instance)
            case "deactivating": survey.stopping.append(instance)
            default: break
            }
        }
        let running = Set(survey.running)
        let vanished = lastRunning.withLock { last in
            defer { last = running }
            return last.subtracting(running).subtracting(survey.stopping)
        }
        for (instance, state) in zip(instances, states) where vanished.contains(instance) {
            survey.ended.append(EndedInstance(instance: instance, how: state))
        }
        return survey
    }

    public func start(_ instance: WorkerInstance) async throws(LaunchFailure) {
        try await change("start", instance)
        lastRunning.withLock { _ = $0.insert(instance) }
    }

    public func stop(_ instance: WorkerInstance) async throws(LaunchFailure) {
        try await change("stop", instance)
        lastRunning.withLock { _ = $0.remove(instance) }
    }

    public func shutdown() async {}

    private func change(_ verb: String, _ instance: WorkerInstance) async throws(LaunchFailure) {
        let (termination, output) = try await systemctl([verb, "--no-block", instance.unit])
        guard termination == .exited(0) else {
            throw LaunchFailure("systemctl \(verb) \(instance.unit): \(termination): \(output.prefix(300))")
        }
        logger.info("unit \(verb == "start" ? "started" : "stopping")", metadata: ["instance": "\(instance)", "unit": "\(instance.unit)"])
    }

    private func systemctl(_ arguments: [String]) async throws(LaunchFailure) -> (ChildProcess.Termination, String) {
        let environment = self.environment
        let result = await thread.run { () -> Result<(ChildProcess.Termination, String), ChildProcess.Failure> in
            Result { () throws(ChildProcess.Failure) in try ChildProcess.run(["systemctl"] + arguments, environment: environment) }
        }
        switch result {
        case .success(let outcome): return outcome
        case .failure(let failure): throw LaunchFailure(failure.description)
        }
    }
}
