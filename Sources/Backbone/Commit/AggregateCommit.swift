import Contract
import Redis

/// One aggregate's change: its new state and the events that announce it, written together or
/// not at all, if and only if the aggregate is still at `expectedVersion`.
public struct AggregateCommit: Sendable {
    /// The aggregate's hash, e.g. `baedal:order:o-123`. Its `version` field is the commit's business.
    public var aggregateKey: String
    /// The version the command read (0 for a new aggregate).
    public var expectedVersion: Int
    /// Fields to set on the aggregate's hash (not `version`).
    public var state: [(String, String)]
    /// Events to append, each to its context's stream.
    public var events: [(stream: String, event: EventEnvelope)]
    /// When set, the first commit with this key wins; a repeat returns `duplicate(firstResult)`.
    public var idempotency: Idempotency?
    /// When set, the commit is refused (`blocked`) while this key exists: another party has
    /// claimed the right to decide first (e.g. a charge was voided for this order id).
    public var blockedBy: String?
    /// Copies of the aggregate kept beside what lists it, in the same step: a field of a hash set
    /// to a value, or removed (nil). A board is then read in two commands (its index and the
    /// copies) instead of one per entry.
    public var snapshots: [Snapshot] = []
    /// Timers set or cleared in the same step: a member of a sorted set scored by when it comes
    /// due (ms), or removed (nil); an order's deadlines (`OrderDeadline`).
    public var timers: [Timer] = []

    public struct Timer: Sendable, Hashable {
        public var key: String
        public var member: String
        public var due: Int64?

        public init(key: String, member: String, due: Int64?) {
            self.key = key
            self.member = member
            self.due = due
        }
    }

    public struct Snapshot: Sendable, Hashable {
        public var key: String
        public var field: String
        public var value: String?

        public init(key: String, field: String, value: String?) {
            self.key = key
            self.field = field
            self.value = value
        }
    }

    public struct Idempotency: Sendable {
        public var key: String
        /// What a repeat of the request gets back (e.g. the first response's JSON).
        public var result: String
        public var ttlMilliseconds: Int

        public init(key: String, result: String, ttlMilliseconds: Int = 24 * 3_600_000) {
            self.key = key
            self.result = result
            self.ttlMilliseconds = ttlMilliseconds
        }
    }

    public init(aggregateKey: String, expectedVersion: Int, state: [(String, String)], events: [(stream: String, event: EventEnvelope)],
                idempotency: Idempotency? = nil, blockedBy: String? = nil, snapshots: [Snapshot] = [], timers: [Timer] = []) {
        precondition(!state.contains(where: { $0.0 == "version" }), "the commit owns the 'version' field")
        self.aggregateKey = aggregateKey
        self.expectedVersion = expectedVersion
        self.state = state
        self.events = events
        self.idempotency = idempotency
        self.blockedBy = blockedBy
        self.snapshots = snapshots
        self.timers = timers
    }
}
