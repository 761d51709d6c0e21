import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `--launcher process`: each instance is a child, `baedal-worker NAME` with
/// `BAEDAL_CONSUMER=<host>-NAME-K`, started through `setpriv --pdeathsig TERM` so that it gets
/// SIGTERM if the autoscaler dies, even by SIGKILL. Stopping one is SIGTERM; the autoscaler's own
/// shutdown stops them all and waits for them (SIGKILL after `shutdownTimeout`).
public final class ProcessLauncher: WorkerLauncher {
    public let kind = "process"
    /// Settings the autoscaler has but its children must not: a metrics port every child would
    /// try to bind, and systemd's channel to the autoscaler's own unit.
    static let withheld: Set<String> = ["BAEDAL_METRICS_PORT", "BAEDAL_CONSUMER", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                        "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]

    private struct Child {
        var process: ChildProcess
        var stopping: Bool
    }

    private let worker: String
    private let host: String
    private let environment: [String: String]
    private let logDirectory: String?
    private let setpriv: String?
    private let shutdownTimeout: Duration
    private let logger: Logger
    private let thread = SpawnThread(name: "baedal-spawn")
    private let children = Mutex<[WorkerInstance: Child]>([:])

    /// `worker`: the `baedal-worker` executable; `logDirectory`: each instance's output goes to
    /// `worker-NAME-K.log` there (else to the autoscaler's stderr).
    public init(worker: String, host: String, environment: [String: String], logDirectory: String?, shutdownTimeout: Duration = .seconds(30),
                logger: Logger) {
        self.worker = worker
        self.host = host
        self.environment = environment.filter { !Self.withheld.contains($0.key) }
        self.logDirectory = logDirectory
        self.shutdownTimeout = shutdownTimeout
        self.logger = logger
        setpriv = Self.find("setpriv", in: environment["PATH"] ?? "/usr/bin:/bin")
        if setpriv == nil {
            logger.warning("setpriv not found: children will not be stopped if the autoscaler is killed")
        }
    }

    public func survey(_ policy: String) async throws(LaunchFailure) -> LauncherSurvey {
        var ended: [EndedInstance] = []
        var stopped: [(WorkerInstance, ChildProcess.Termination)] = []
        let survey = children.withLock { children in
            for (instance, child) in children where instance.policy == policy {
                guard let termination = child.process.poll() else { continue }
                children[instance] = nil
                if child.stopping {
                    stopped.append((instance, termination))
                } else {
                    ended.append(EndedInstance(instance: instance, how: termination.description, lastWords: lastLine(of: instance)))
                }
            }
            let mine = children.filter { $0.key.policy == policy }
            return LauncherSurvey(running: mine.filter { !$0.value.stopping }.map(\.key), stopping: mine.filter { $0.value.stopping }.map(\.key),
                                  ended: ended)
        }
        for (instance, termination) in stopped {
            logger.info("instance stopped", metadata: ["instance": "\(instance)", "how": "\(termination)"])
        }
        return survey
    }

    public func start(_ instance: WorkerInstance) async throws(LaunchFailure) {
        let command = [worker, instance.policy]
        let arguments = setpriv.map { [$0, "--pdeathsig", "TERM", "--"] + command } ?? command
        var variables = self.environment
        variables["BAEDAL_CONSUMER"] = instance.consumer(host: host)
        let environment = variables
        let output: ChildProcess.Output = logDirectory.map { .file("\($0)/worker-\(instance.name).log") } ?? .inherit
        let spawned = await thread.run { () -> Result<ChildProcess, ChildProcess.Failure> in
            Result { () throws(ChildProcess.Failure) in try ChildProcess.spawn(arguments, environment: environment, output: output) }
        }
        switch spawned {
        case .success(let process):
            children.withLock { $0[instance] = Child(process: process, stopping: false) }
            logger.info("instance started", metadata: ["instance": "\(instance)", "pid": "\(process.pid)",
                                                       "consumer": "\(instance.consumer(host: host))"])
        case .failure(let failure):
            throw LaunchFailure("\(instance): \(failure.description)")
        }
    }

    public func stop(_ instance: WorkerInstance) async throws(LaunchFailure) {
        let process = children.withLock { children -> ChildProcess? in
            guard var child = children[instance], !child.stopping else { return nil }
            child.stopping = true
            children[instance] = child
            return child.process
        }
        guard let process else { throw LaunchFailure("\(instance) is not running") }
        process.signal(SIGTERM)
    }

    public func shutdown() async {
        let all = children.withLock { children in
            for (instance, child) in children where !child.stopping {
                children[instance]?.stopping = true
            }
            return children.map { ($0.key, $0.value.process) }
        }
        guard !all.isEmpty else { return }
        logger.notice("stopping every instance", metadata: ["instances": "\(all.map(\.0).sorted().map(\.name).joined(separator: ","))"])
        for (_, process) in all { process.signal(SIGTERM) }
        let deadline = ContinuousClock.now + shutdownTimeout
        var left = all
        while !left.isEmpty {
            left = left.filter { instance, process in
                guard let termination = process.poll() else { return true }
                logger.info("instance stopped", metadata: ["instance": "\(instance)", "how": "\(termination)"])
                return false
            }
            if left.isEmpty { break }
            if ContinuousClock.now > deadline {
                for (instance, process) in left {
                    logger.error("instance did not stop in time: SIGKILL", metadata: ["instance": "\(instance)"])
                    process.signal(SIGKILL)
                    _ = process.wait()
                }
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        children.withLock { $0.removeAll() }
    }

    /// The last line an instance wrote to its log file (at most 300 characters), if it has one.
    private func lastLine(of instance: WorkerInstance) -> String? {
        guard let logDirectory else { return nil }
        let fd = open("\(logDirectory)/worker-\(instance.name).log", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        let tail = min(Int(max(size, 0)), 4_096)
        var bytes = [UInt8](repeating: 0, count: tail)
        guard tail > 0, pread(fd, &bytes, tail, off_t(Int(size) - tail)) == tail else { return nil }
        let line = bytes.split(separator: UInt8(ascii: "\n")).last.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let trimmed = line.trimmingPrefix(" ")
        return trimmed.isEmpty ? nil : String(trimmed.prefix(300))
    }

    /// The first executable `name` on `path`.
    static func find(_ name: String, in path: String) -> String? {
        for directory in path.split(separator: ":") where access("\(directory)/\(name)", X_OK) == 0 {
            return "\(directory)/\(name)"
        }
        return nil
    }
}
