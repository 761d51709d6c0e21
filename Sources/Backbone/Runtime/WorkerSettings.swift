import Contract

/// Settings of one policy instance.
public struct WorkerSettings: Sendable {
    public var keys: Keys
    public var consumer: String
    public var claimIdleMilliseconds: Int
    public var maxDeliveries: Int
    /// When a failed message is delivered again.
    public var retry: RetrySchedule
    /// Entries read per stream per round trip.
    public var batchSize = 500
    /// How long one `XREADGROUP` waits for new entries (the socket timeout stays above it).
    public var blockMilliseconds = 2_000
    /// After a read that brought less than a full batch, how long to wait before the next one:
    /// entries that arrive meanwhile join the next batch, so a live flow is read and applied a
    /// batch at a time, not an entry at a time (each read and each apply step costs the store
    /// about as much as the work of a dozen entries). A full batch is followed at once.
    public var lingerMilliseconds = 0

    public init(keys: Keys, consumer: String, claimIdleMilliseconds: Int = 30_000, maxDeliveries: Int = 25,
                retry: RetrySchedule = RetrySchedule()) {
        self.keys = keys
        self.consumer = consumer
        self.claimIdleMilliseconds = claimIdleMilliseconds
        self.maxDeliveries = maxDeliveries
        self.retry = retry
    }

    /// How often idle pending messages are looked for: half the claim time, between 0.1 s and 5 s.
    var claimIntervalMilliseconds: Int { max(100, min(claimIdleMilliseconds / 2, 5_000)) }

    /// How often parked messages are reclaimed by their holder: a third of the claim time, so
    /// another instance takes them over only when their holder is gone.
    var keepIntervalMilliseconds: Int { max(50, claimIdleMilliseconds / 3) }
}
