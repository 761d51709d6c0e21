import Contract

/// What the consumer runtime needs of the store its streams live in, for one consumer of one
/// group: read, claim, deliver again, keep, apply with the acknowledgement, and the group's
/// records. `RedisGroupTransport` is the real one; `InMemoryGroupTransport` keeps everything in
/// the process, so the runtime's guarantees are tested without Redis by the same suite
/// (`TransportContractTests`, Watermill's `test_pubsub.go`). Failures are `TransportFailure`s.
public protocol GroupTransport: Sendable {
    /// The group, this consumer, the stream keys it reads.
    var group: String { get }
    var consumer: String { get }
    var streams: [String] { get }

    /// Creates the group on every stream where it is missing: a new group at the start of the
    /// stream, a vanished one at its recorded watermark (`GroupRecords`).
    func ensureGroups() async throws -> [(stream: String, creation: GroupRecords.Creation)]
    /// New entries for this consumer (each delivered once to the group), waiting up to `blockMilliseconds`.
    func readNew(count: Int, blockMilliseconds: Int) async throws -> [StreamMessage]
    /// Wakes a blocked `readNew` now (it fails; the caller is stopping).
    func interrupt()
    /// Takes over messages idle longer than `minIdleMilliseconds` on any consumer, without
    /// counting a delivery; `removed` are ids whose entries were trimmed away meanwhile.
    func claimIdle(stream: String, minIdleMilliseconds: Int, count: Int, from start: String) async throws
        -> (next: String, ids: [String], removed: [String])
    /// Delivers messages this consumer holds again, counting the delivery; the entries with the
    /// group's delivery count, and the ids whose entries are gone.
    func redeliver(_ ids: [String], stream: String) async throws -> (messages: [StreamMessage], gone: [String])
    /// Reclaims held messages without a delivery (so no other instance takes them before they
    /// are due); the ids still held.
    func keep(_ ids: [String], stream: String) async throws -> Set<String>
    /// Acknowledges ids without effects (entries trimmed away while pending).
    func acknowledge(_ ids: [String], stream: String) async throws
    /// This consumer's pending ids on `stream` after `after` (from the start when nil).
    func ownPending(stream: String, after: String?, count: Int) async throws -> [String]

    /// The retry book: when each failed message is next due.
    func recordRetries(_ entries: [RetryBook.Entry]) async throws
    func retries(_ ids: [String], stream: String) async throws -> [RetryBook.Entry?]
    func clearRetries(_ messages: [(stream: String, id: String)]) async throws

    /// Applies the handled messages' effects and acknowledges them in one atomic step, only for
    /// the messages this consumer still holds, and only once (`GroupRecords.applied`).
    func apply(_ handled: [Handled]) async throws -> Applied
    /// Records the group's watermark on every stream.
    func recordWatermarks() async throws
    /// The group's lag (nil: unknown), pending count and the time (ms since the epoch, from its id)
    /// of its oldest pending entry (nil: none pending, or unknown), per stream.
    func gauges() async -> [GroupGauge]
    func close()
}

/// A message handled by its policy: the writes it wants, applied with its acknowledgement.
public struct Handled: Sendable, Hashable {
    public var stream: String
    public var id: String
    public var effects: Effects
    /// Delivered before (a retry): its retry book entry goes with the acknowledgement.
    public var redelivered: Bool

    public init(stream: String, id: String, effects: Effects, redelivered: Bool = false) {
        self.stream = stream
        self.id = id
        self.effects = effects
        self.redelivered = redelivered
    }
}

/// What `apply` did.
public struct Applied: Sendable, Hashable {
    /// Messages applied and acknowledged now.
    public var acknowledged: Int
    /// Messages no longer pending for this consumer (claimed by another, acknowledged already):
    /// their writes were dropped.
    public var skipped: [Handled]
    /// Messages applied before their group was lost and made again: acknowledged without their writes.
    public var duplicates: [Handled]

    public init(acknowledged: Int, skipped: [Handled] = [], duplicates: [Handled] = []) {
        self.acknowledged = acknowledged
        self.skipped = skipped
        self.duplicates = duplicates
    }
}

/// Why a transport call failed, as the runtime acts on it.
public enum TransportFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The group is gone from a stream: make it again (`ensureGroups`).
    case groupMissing(String)
    /// The store refused the writes for good (a key of another type, an overflow, an entry too
    /// large for a script): retrying cannot help; the message is dead-lettered alone.
    case refused(String)
    /// The store cannot be reached or cannot serve now (a connection, a failover, a slot moving):
    /// back off and try again; nothing was decided.
    case unavailable(String)
    /// The store refuses this daemon's user the command or the key (a Redis ACL's `NOPERM`): a
    /// configuration error. No retry or dead letter can help; the worker stops, the messages stay
    /// pending for when the user is fixed.
    case forbidden(String)

    public var description: String {
        switch self {
        case .groupMissing(let reason): "consumer group missing: \(reason)"
        case .refused(let reason): "refused: \(reason)"
        case .unavailable(let reason): "unavailable: \(reason)"
        case .forbidden(let reason): "forbidden: \(reason)"
        }
    }
}

/// One stream's figures for its group (`GroupTransport.gauges`).
public struct GroupGauge: Sendable, Hashable {
    public var stream: String
    public var lag: Int?
    public var pending: Int
    public var oldestPendingAt: Int64?

    public init(stream: String, lag: Int?, pending: Int, oldestPendingAt: Int64? = nil) {
        (self.stream, self.lag, self.pending, self.oldestPendingAt) = (stream, lag, pending, oldestPendingAt)
    }
}
