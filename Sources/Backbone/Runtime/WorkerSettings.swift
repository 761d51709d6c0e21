import Daemon

/// Settings of one policy instance.
public struct WorkerSettings: Sendable {
    public var keys: Keys
    public var consumer: String
    public var claimIdleMilliseconds: Int
    public var maxDeliveries: Int
    /// Entries read per stream per round trip.
    public var batchSize = 500
    /// How long one `XREADGROUP` waits for new entries (the socket timeout stays above it).
    public var blockMilliseconds = 2_000

    public init(keys: Keys, consumer: String, claimIdleMilliseconds: Int = 30_000, maxDeliveries: Int = 5) {
        self.keys = keys
        self.consumer = consumer
        self.claimIdleMilliseconds = claimIdleMilliseconds
        self.maxDeliveries = maxDeliveries
    }

    public init(_ environment: BaedalEnvironment) {
        self.init(keys: environment.keys, consumer: environment.consumer,
                  claimIdleMilliseconds: environment.claimIdleMilliseconds, maxDeliveries: environment.maxDeliveries)
    }

    /// How often idle pending messages are looked for: half the claim time, between 0.1 s and 5 s.
    var claimIntervalMilliseconds: Int { max(100, min(claimIdleMilliseconds / 2, 5_000)) }
}
