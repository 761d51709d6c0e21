import JSON
import Numbers

/// What the autoscaler tells everyone else about one policy: a field of the hash
/// `<prefix>:autoscaler` named after the policy, rewritten every interval, whose value is
///
///     {"policy":"projector","min":1,"max":4,"running":2,"wanted":3,"backlog":12345,
///      "lagPerInstance":5000,"at":1700000000000,"lag":12000,"pending":345,"intervalMs":5000}
///
/// (`at` in ms since the epoch). `baedalctl status` and the console read it; a value older than
/// three intervals means the autoscaler is not running.
public struct AutoscalerView: Sendable, Hashable {
    public var policy: String
    public var min: Int
    public var max: Int
    /// Instances running now (started by the autoscaler and not told to stop).
    public var running: Int
    public var wanted: Int
    public var backlog: Int
    public var lag: Int
    public var pending: Int
    public var lagPerInstance: Int
    /// Milliseconds since the epoch.
    public var at: Int64
    public var intervalMilliseconds: Int
    /// Instances that ended on their own in a row (0: none is failing).
    public var failures = 0
    /// How and why the last of them ended, while they keep failing.
    public var lastFailure: String?

    /// Writers older than this format left `intervalMs` out; readers assume the default interval.
    public static let defaultIntervalMilliseconds = 5_000

    public init(policy: String, min: Int, max: Int, running: Int, wanted: Int, backlog: Int, lag: Int, pending: Int,
                lagPerInstance: Int, at: Int64, intervalMilliseconds: Int) {
        self.policy = policy
        self.min = min
        self.max = max
        self.running = running
        self.wanted = wanted
        self.backlog = backlog
        self.lag = lag
        self.pending = pending
        self.lagPerInstance = lagPerInstance
        self.at = at
        self.intervalMilliseconds = intervalMilliseconds
    }

    public var json: String {
        JSONWriter.object { json in
            json.field("policy", policy)
            json.field("min", min)
            json.field("max", max)
            json.field("running", running)
            json.field("wanted", wanted)
            json.field("backlog", backlog)
            json.field("lagPerInstance", lagPerInstance)
            json.field("at", at)
            json.field("lag", lag)
            json.field("pending", pending)
            json.field("intervalMs", intervalMilliseconds)
            json.field("failures", failures)
            if let lastFailure { json.field("lastFailure", lastFailure) }
        }
    }

    /// Reads a hash value; a value that is not this object (another writer, a hand edit) is refused.
    public init(json text: String) throws(JSONReader.Failure) {
        var view = AutoscalerView(policy: "", min: 0, max: 0, running: 0, wanted: 0, backlog: 0, lag: 0, pending: 0, lagPerInstance: 0,
                                  at: 0, intervalMilliseconds: Self.defaultIntervalMilliseconds)
        var seen = Set<String>()
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                let name = key.string
                seen.insert(name)
                switch name {
                case "policy": view.policy = try reader.readString()
                case "min": view.min = try reader.readInt()
                case "max": view.max = try reader.readInt()
                case "running": view.running = try reader.readInt()
                case "wanted": view.wanted = try reader.readInt()
                case "backlog": view.backlog = try reader.readInt()
                case "lag": view.lag = try reader.readInt()
                case "pending": view.pending = try reader.readInt()
                case "lagPerInstance": view.lagPerInstance = try reader.readInt()
                case "at": view.at = Int64(clamping: try reader.readInt())
                case "intervalMs": view.intervalMilliseconds = try reader.readInt()
                case "failures": view.failures = try reader.readInt()
                case "lastFailure": view.lastFailure = String(try reader.readString().prefix(500))
                default: try reader.skipValue()
                }
            }
            for required in ["policy", "min", "max", "running", "wanted", "backlog", "lagPerInstance", "at"] where !seen.contains(required) {
                throw reader.fail("\(required) is missing")
            }
            if let problem = view.problem { throw reader.fail(problem) }
        }
        self = view
    }

    /// Why the numbers cannot be the autoscaler's, or nil. The hash is anyone's to write
    /// (`redis-cli HSET`), and its readers do arithmetic on what they read: a view is only taken
    /// when every number is one the autoscaler could have written.
    var problem: String? {
        let instances = 0...ScalingRule.maximumInstances
        for (name, value) in [("min", min), ("max", max), ("running", running), ("wanted", wanted)] where !instances.contains(value) {
            return "\(name) must be 0…\(ScalingRule.maximumInstances), got \(value)"
        }
        for (name, value) in [("backlog", backlog), ("lag", lag), ("pending", pending)] where value < 0 {
            return "\(name) must not be negative, got \(value)"
        }
        guard failures >= 0 else { return "failures must not be negative, got \(failures)" }
        guard lagPerInstance >= 1 else { return "lagPerInstance must be at least 1, got \(lagPerInstance)" }
        if let problem = EpochTime.problem(at) { return "at \(problem)" }
        guard (1...Self.longestIntervalMilliseconds).contains(intervalMilliseconds) else {
            return "intervalMs must be 1…\(Self.longestIntervalMilliseconds), got \(intervalMilliseconds)"
        }
        return nil
    }

    /// The longest interval a view may claim: a day.
    public static let longestIntervalMilliseconds = 86_400_000

    /// The autoscaler wrote it within the last three intervals (`now` in ms since the epoch).
    public func isCurrent(now: Int64) -> Bool {
        now.clampedSubtracting(at) <= Int64(Swift.max(intervalMilliseconds, 1)).clampedMultiplied(by: 3)
    }
}
