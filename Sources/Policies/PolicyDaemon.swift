import Contract
import Daemon
import Logging

/// One policy daemon (`baedal-worker NAME`): the consumer groups it runs (usually one, named
/// after it) with the streams each reads, and how to make their handlers from the settings.
public struct PolicyDaemon: Sendable {
    /// A consumer group the daemon joins, and the streams it reads.
    public struct Group: Sendable, Hashable {
        public var name: String
        public var streams: [StreamName]
    }

    /// The daemon's name: `baedal-worker NAME`, the systemd instance `baedal-worker@NAME-K`, the
    /// log label, and its main group's name. Never rename one casually.
    public let name: String
    /// What it does, one line (for `--help`).
    public let summary: String
    /// Every group it may run (one that only runs when configured, like the webhook's, included).
    public let groups: [Group]
    /// The settings it reads besides the common ones (for `--help`).
    public let settings: [EnvironmentSetting]
    /// Whether it acts on orders' deadlines: each of its instances then runs a `DeadlinePump`
    /// per partition beside its groups.
    public let deadlines: Bool
    private let make: @Sendable (PolicyContext) throws(BaedalEnvironment.Invalid) -> [Policy]

    init(name: String, summary: String, groups: [Group], settings: [EnvironmentSetting] = [], deadlines: Bool = false,
         make: @escaping @Sendable (PolicyContext) throws(BaedalEnvironment.Invalid) -> [Policy]) {
        self.name = name
        self.summary = summary
        self.groups = groups
        self.settings = settings
        self.deadlines = deadlines
        self.make = make
    }

    /// The handlers to run, for these settings; a setting that cannot be used is `Invalid`.
    public func policies(_ context: PolicyContext) throws(BaedalEnvironment.Invalid) -> [Policy] {
        try make(context)
    }
}
