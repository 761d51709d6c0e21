import Contract
import FoundationEssentials
import Redis

/// The settings every process reads from its environment (the contract's table).
public struct BaedalEnvironment: Sendable {
    public var redis: RedisConfiguration
    /// `BAEDAL_PREFIX`: every key of the deployment starts with it (`Keys` builds them).
    public var prefix: String
    /// `BAEDAL_PARTITIONS`: how many partitions the backbone is split into (1 on `redis://` and
    /// `redis-sentinel://`, 16 on `redis-cluster://` unless set); `PartitionRecord` holds a
    /// process to the deployment's recorded number.
    public var partitions: Int
    public var consumer: String
    public var claimIdleMilliseconds: Int
    public var maxDeliveries: Int
    /// A write a user is told succeeded has reached this many replicas first (`BAEDAL_MIN_REPLICAS`:
    /// 0 for `redis://`, 1 for `redis-sentinel://` and `redis-cluster://`), waiting at most
    /// `BAEDAL_MIN_REPLICAS_TIMEOUT_MS`.
    public var replication: Replication
    /// A failed message is delivered again after this long, doubling on every failure…
    public var retryFirstMilliseconds: Int
    /// …up to this long.
    public var retryMaxMilliseconds: Int
    /// A worker whose read brought less than a full batch waits this long before the next read,
    /// so that a live flow is handled in batches instead of one entry at a time (`BAEDAL_BATCH_LINGER_MS`).
    public var batchLingerMilliseconds: Int
    /// An order its store has not answered in this long is rejected by the platform
    /// (`BAEDAL_ACCEPT_TIMEOUT_S`, 300), one no rider picked in this long once cooked is flagged
    /// (`BAEDAL_PICKUP_TIMEOUT_S`, 600).
    public var acceptTimeoutSeconds: Int
    public var pickupTimeoutSeconds: Int

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
        try RedisPasswordCredential.apply(to: &redis, environment)
        try RedisTLSSettings.apply(to: &redis, environment)
        let prefix = environment["BAEDAL_PREFIX"] ?? "baedal"
        guard !prefix.isEmpty, !prefix.contains(where: \.isWhitespace) else {
            throw Invalid(description: "BAEDAL_PREFIX must be a non-empty word, got '\(prefix)'")
        }
        // A brace would be read by Redis Cluster as (the start of) a hash tag: every partition's
        // keys would hash alike, or an order's keys apart.
        guard !prefix.contains("{"), !prefix.contains("}") else {
            throw Invalid(description: "BAEDAL_PREFIX must not contain '{' or '}' (they would break the partitions' hash tags), got '\(prefix)'")
        }
        self.prefix = prefix
        if let text = environment["BAEDAL_PARTITIONS"], !text.isEmpty {
            guard let number = Int(text), (1...KeySpace.maxPartitions).contains(number) else {
                throw Invalid(description: "BAEDAL_PARTITIONS must be a whole number from 1 to \(KeySpace.maxPartitions), got '\(text.prefix(40))'")
            }
            partitions = number
        } else {
            partitions = redis.cluster == nil ? 1 : 16
        }
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
            minReplicas = redis.sentinel == nil && redis.cluster == nil ? 0 : 1
        }
        replication = Replication(replicas: minReplicas,
                                  timeoutMilliseconds: try Self.positive("BAEDAL_MIN_REPLICAS_TIMEOUT_MS", environment, default: 1_000, max: 60_000))
        retryFirstMilliseconds = try Self.positive("BAEDAL_RETRY_FIRST_MS", environment, default: 1_000)
        retryMaxMilliseconds = try Self.positive("BAEDAL_RETRY_MAX_MS", environment, default: 600_000)
        if let text = environment["BAEDAL_BATCH_LINGER_MS"], !text.isEmpty {
            guard let number = Int(text), (0...1_000).contains(number) else {
                throw Invalid(description: "BAEDAL_BATCH_LINGER_MS must be a whole number from 0 to 1000, got '\(text.prefix(40))'")
            }
            batchLingerMilliseconds = number
        } else {
            batchLingerMilliseconds = 5
        }
        acceptTimeoutSeconds = try Self.positive("BAEDAL_ACCEPT_TIMEOUT_S", environment, default: 300, max: 604_800)
        pickupTimeoutSeconds = try Self.positive("BAEDAL_PICKUP_TIMEOUT_S", environment, default: 600, max: 604_800)
        guard retryFirstMilliseconds <= retryMaxMilliseconds else {
            throw Invalid(description: "BAEDAL_RETRY_FIRST_MS (\(retryFirstMilliseconds)) must not exceed BAEDAL_RETRY_MAX_MS (\(retryMaxMilliseconds))")
        }
    }

    /// What every process reads to reach the backbone (`--help`).
    public static let backboneSettings: [EnvironmentSetting] = [
        .init("BAEDAL_REDIS_URL", default: "redis://127.0.0.1:6379",
              "redis://[user:password@]host[:port][/db] (rediss:// over TLS), redis-sentinel://[user:password@]host:port[,host:port...]/MASTER[/db], or redis-cluster://[user:password@]host:port[,host:port...] (seed nodes); the password may instead come from the systemd credential redis-password ($CREDENTIALS_DIRECTORY/redis-password)"),
        .init("BAEDAL_REDIS_TLS_CA", default: "the system's CAs",
              "with rediss://, rediss-sentinel:// or rediss-cluster://: the PEM file of the CA that signs the servers' certificates (a server it does not vouch for is refused: exit 2 at start)"),
        .init("BAEDAL_REDIS_TLS_CERT", default: "none", "with rediss…://: a client certificate (PEM) for servers with tls-auth-clients; needs BAEDAL_REDIS_TLS_KEY"),
        .init("BAEDAL_REDIS_TLS_KEY", default: "none", "with rediss…://: the client certificate's private key (PEM)"),
        .init("BAEDAL_REDIS_USER", default: "the URL's", "the Redis ACL user to log in as, instead of the URL's (the workers' unit sets baedal-POLICY)"),
        .init("BAEDAL_PREFIX", default: "baedal", "prefix of every Redis key (two deployments can share one Redis; no braces)"),
        .init("BAEDAL_PARTITIONS", default: "1, 16 on redis-cluster://",
              "how many partitions the backbone is split into (1 to 1024); fixed for a deployment's life, recorded in <prefix>:partitions at its first start"),
        .init("BAEDAL_MIN_REPLICAS", default: "0 for redis://, 1 for redis-sentinel:// and redis-cluster://",
              "a write a user is told succeeded has reached this many replicas first (0 to 16)"),
        .init("BAEDAL_MIN_REPLICAS_TIMEOUT_MS", default: "1000", "how long such a write waits for its replicas"),
        .init("BAEDAL_ACCEPT_TIMEOUT_S", default: "300", "an order its store has not accepted in this long is rejected by the platform and refunded (1 to 604800)"),
        .init("BAEDAL_PICKUP_TIMEOUT_S", default: "600", "a cooked order no rider has picked in this long is flagged for an operator (1 to 604800)"),
    ]

    /// What a consumer-group process (a worker) reads besides the backbone's (`--help`).
    public static let consumerSettings: [EnvironmentSetting] = [
        .init("BAEDAL_CONSUMER", default: "<hostname>-<pid>", "consumer name in the group (a stable one resumes its pending messages)"),
        .init("BAEDAL_CLAIM_IDLE_MS", default: "30000", "a message pending this long on a silent consumer is claimed by a live one"),
        .init("BAEDAL_MAX_DELIVERIES", default: "25", "after this many deliveries a failing message goes to the dead-letter stream"),
        .init("BAEDAL_RETRY_FIRST_MS", default: "1000", "a failed message is delivered again after this long, doubling on every failure up to BAEDAL_RETRY_MAX_MS"),
        .init("BAEDAL_RETRY_MAX_MS", default: "600000", "the longest wait between two deliveries of a failed message"),
        .init("BAEDAL_BATCH_LINGER_MS", default: "5", "after a read that brought less than a full batch, wait this long before the next (0 to 1000; 0: read at once)"),
    ]

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
