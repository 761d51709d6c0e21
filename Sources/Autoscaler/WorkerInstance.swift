/// The K-th instance of a policy that the autoscaler owns, named the same way by both launchers:
/// `projector-2`, the systemd unit `baedal-worker@projector-2.service`, and the consumer name
/// `<host>-projector-2` (what the template unit's `BAEDAL_CONSUMER=%H-%i` gives). The same K
/// always gets the same consumer name, so a restarted instance resumes its own pending entries.
public struct WorkerInstance: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let policy: String
    public let number: Int

    public init(policy: String, number: Int) {
        self.policy = policy
        self.number = number
    }

    /// `projector-2`.
    public var name: String { "\(policy)-\(number)" }
    /// `baedal-worker@projector-2.service`.
    public var unit: String { "baedal-worker@\(name).service" }
    /// `<host>-projector-2`.
    public func consumer(host: String) -> String { "\(host)-\(name)" }

    public var description: String { name }

    public static func < (a: WorkerInstance, b: WorkerInstance) -> Bool {
        (a.policy, a.number) < (b.policy, b.number)
    }
}
