import FoundationEssentials
import Redis

/// The settings every process reads from its environment (the contract's table).
public struct BaedalEnvironment: Sendable {
    public var redis: RedisConfiguration
    /// `BAEDAL_PREFIX`: every key of the deployment starts with it (`Keys` builds them).
    public var prefix: String
    public var consumer: String
    public var claimIdleMilliseconds: Int
    public var maxDeliveries: Int
    /// A write a user is told succeeded has reached this many replicas first (`BAEDAL_MIN_REPLICAS`:
    /// 0 for `redis://`, 1 for `redis-sentinel://`), waiting at most `BAEDAL_MIN_REPLICAS_TIMEOUT_MS`.
    public var replication: Replication
    /// A failed message is delivered again after this long, doubling on every failure…
    public var retryFirstMilliseconds: Int
    /// …up to this long.
    public var retryMaxMilliseconds: Int

    /// A setting that cannot be used; the executables print it on one line and exit with 2.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) {
        let url = environment["BAEDAL_REDIS_URL"] ?? "redis://127.0.0.1:6379"
        do {
            redis = try RedisConfiguration(url: url)
        } catch {
            throw Invalid(description: "BAEDAL_REDIS_URL: \(error)")
        }
        let prefix = environment["BAEDAL_PREFIX"] ?? "baedal"
        guard !prefix.isEmpty, !prefix.contains(where: \.isWhitespace) else {
            throw Invalid(description: "BAEDAL_PREFIX must be a non-empty word, got '\(prefix)'")
        }
        self.prefix = prefix
        consumer = environment["BAEDAL_CONSUMER"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        claimIdleMilliseconds = try Self.positive("BAEDAL_CLAIM_IDLE_MS", environment, default: 30_000)
        maxDeliveries = try Self.positive("BAEDAL_MAX_DELIVERIES", environment, default: 25, max: 1_000)
        let minReplicas: Int
        if let text = environment["BAEDAL_MIN_REPLICAS"], !text.isEmpty {
            guard let number = Int(text), (0...16).contains(number) else {
                throw Invalid(description: "BAEDAL_MIN_REPLICAS must be a whole number from 0 to 16, got '\(text.prefix(40))'")
            }
            minReplicas = number
        } else {
            minReplicas = redis.sentinel == nil ? 0 : 1
        }
        replication = Replication(replicas: minReplicas,
                                  timeoutMilliseconds: try Self.positive("BAEDAL_MIN_REPLICAS_TIMEOUT_MS", environment, default: 1_000, max: 60_000))
        retryFirstMilliseconds = try Self.positive("BAEDAL_RETRY_FIRST_MS", environment, default: 1_000)
        retryMaxMilliseconds = try Self.positive("BAEDAL_RETRY_MAX_MS", environment, default: 600_000)
        guard retryFirstMilliseconds <= retryMaxMilliseconds else {
            throw Invalid(description: "BAEDAL_RETRY_FIRST_MS (\(retryFirstMilliseconds)) must not exceed BAEDAL_RETRY_MAX_MS (\(retryMaxMilliseconds))")
        }
    }

    /// A positive whole number, at most `max` (by default a billion: no duration or count of this
    /// platform is larger, and every arithmetic on it stays far from overflowing).
    public static func positive(_ name: String, _ environment: [String: String], default value: Int, max: Int = 1_000_000_000) throws(Invalid) -> Int {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = Int(text), number > 0, number <= max else {
            throw Invalid(description: "\(name) must be a whole number from 1 to \(max), got '\(text.prefix(40))'")
        }
        return number
    }
}
