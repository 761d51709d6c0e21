/// Starts and stops the instances of a policy: `ProcessLauncher` (children of the autoscaler) or
/// `SystemdLauncher` (`baedal-worker@NAME-K` units).
public protocol WorkerLauncher: Sendable {
    /// `process` or `systemd`, for logs.
    var kind: String { get }

    /// The instances of `policy` that run now, those told to stop that have not exited yet, and
    /// those that ended on their own since the last survey (reported once).
    func survey(_ policy: String) async throws(LaunchFailure) -> LauncherSurvey

    /// Starts one instance; it returns once the instance is on its way, not once it is ready.
    func start(_ instance: WorkerInstance) async throws(LaunchFailure)

    /// Asks one instance to stop with SIGTERM: it finishes and acknowledges what it holds, then
    /// exits. Returns at once; the instance counts as stopping until it has exited.
    func stop(_ instance: WorkerInstance) async throws(LaunchFailure)

    /// The autoscaler is stopping: what the launcher does with its instances then (children are
    /// stopped and waited for; systemd units keep running).
    func shutdown() async
}

/// What a launcher found for one policy.
public struct LauncherSurvey: Sendable {
    /// Running and not told to stop.
    public var running: [WorkerInstance]
    /// Told to stop, not exited yet: their numbers are not reused until they have (two processes
    /// with one consumer name would both handle that name's pending entries).
    public var stopping: [WorkerInstance]
    /// Instances that ended without being told to: how (`exit 2`, `signal 9`, `failed`) and, when
    /// the launcher can tell, the instance's last words (the last line it printed).
    public var ended: [EndedInstance]

    public init(running: [WorkerInstance], stopping: [WorkerInstance] = [], ended: [EndedInstance] = []) {
        self.running = running.sorted()
        self.stopping = stopping.sorted()
        self.ended = ended
    }

    /// Numbers in use, running or stopping.
    public var busy: Set<Int> { Set((running + stopping).map(\.number)) }
}

/// An instance that ended on its own.
public struct EndedInstance: Sendable, Hashable {
    public var instance: WorkerInstance
    /// `exit 2`, `signal 9`, or systemd's state (`failed`).
    public var how: String
    /// The last line the instance printed, when the launcher keeps its output.
    public var lastWords: String?

    public init(instance: WorkerInstance, how: String, lastWords: String? = nil) {
        self.instance = instance
        self.how = how
        self.lastWords = lastWords
    }

    /// How and why, in one line: `exit 2 (a configuration error): baedal-worker: BAEDAL_… must be …`.
    public var reason: String {
        let meaning = switch how {
        case "exit 2": " (a configuration error)"
        case "exit 64": " (a usage error)"
        case "signal 9": " (killed)"
        default: ""
        }
        return how + meaning + (lastWords.map { ": \($0)" } ?? "")
    }
}

/// A launcher could not do what it was asked (logged; the next interval tries again).
public struct LaunchFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
