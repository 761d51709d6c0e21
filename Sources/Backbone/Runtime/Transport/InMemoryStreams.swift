import Contract
import Synchronization

/// Streams, consumer groups and the keys that effects write, kept in the process: the
/// in-memory twin of Redis for the consumer runtime (`InMemoryGroupTransport`). It follows the
/// semantics the runtime relies on — each new entry delivered to one consumer of a group, a
/// pending list per group with delivery counts and idle times, claims, the apply step's
/// ownership check, once-only record and refusal of a key of the wrong type with nothing
/// half-written, the group records — on a clock of the caller's, so a test moves time instead
/// of waiting for it. It is for tests; it keeps nothing on disk.
public final class InMemoryStreams: Sendable {
    public let clock: EpochClock
    private let state = Mutex(State())

    struct Entry: Sendable {
        var id: StreamID
        var fields: [StreamField]
    }

    struct Pending: Sendable {
        var consumer: String
        var deliveredAt: Int64
        var count: Int
    }

    struct Group: Sendable {
        var lastDelivered: StreamID
        var pending: [StreamID: Pending] = [:]
    }

    enum Value: Sendable {
        case hash([String: Int])
        case zset([String: Int64])
        case list([String])
        case stream
    }

    struct State: Sendable {
        var streams: [String: [Entry]] = [:]
        var lastIds: [String: StreamID] = [:]
        var groups: [String: [String: Group]] = [:]
        var values: [String: Value] = [:]
        var retryBooks: [String: [String: RetryBook.Entry]] = [:]
        var positions: [String: [String: StreamID]] = [:]
        var applied: [String: [String: Set<StreamID>]] = [:]
        /// While set, every apply is refused as a store failing over would (`unavailable`).
        var refusingWrites = false
        var refusedApplies = 0
    }

    public init(clock: @escaping EpochClock) {
        self.clock = clock
    }

    // MARK: What tests do and see

    /// Appends an entry (`XADD key * …`); its id.
    @discardableResult
    public func append(_ stream: String, _ fields: [StreamField]) -> String {
        let now = UInt64(clamping: clock())
        return state.withLock { state in Self.append(stream, fields, now: now, to: &state).description }
    }

    /// Every entry of a stream, in order.
    public func entries(_ stream: String) -> [(id: String, fields: [StreamField])] {
        state.withLock { $0.streams[stream, default: []].map { ($0.id.description, $0.fields) } }
    }

    /// A hash's counts.
    public func hash(_ key: String) -> [String: Int] {
        state.withLock { state in if case .hash(let hash) = state.values[key] { hash } else { [:] } }
    }

    /// A sorted set's members and scores.
    public func sortedSet(_ key: String) -> [String: Int64] {
        state.withLock { state in if case .zset(let set) = state.values[key] { set } else { [:] } }
    }

    /// Refuses (or takes again) every apply as a store failing over or a cluster slot moving
    /// would: `unavailable`, nothing written.
    public func refuseWrites(_ refusing: Bool) {
        state.withLock { $0.refusingWrites = refusing }
    }

    /// How many applies were refused so far.
    public var refusedApplies: Int { state.withLock { $0.refusedApplies } }

    /// Makes `key` hold a value of another kind (a hand edit gone wrong).
    public func corrupt(_ key: String) {
        state.withLock { $0.values[key] = .list(["garbage"]) }
    }

    /// How many entries of `stream` wait in `group`'s pending list, per consumer.
    public func pending(_ stream: String, group: String) -> [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for pending in state.groups[stream]?[group]?.pending.values ?? [:].values { counts[pending.consumer, default: 0] += 1 }
            return counts
        }
    }

    /// Removes a group, as `XGROUP DESTROY` does.
    public func destroyGroup(_ group: String, on stream: String) {
        _ = state.withLock { $0.groups[stream]?.removeValue(forKey: group) }
    }

    /// The transport of one consumer of `group`.
    public func transport(group: String, consumer: String, streams: [String], keys: Keys) -> InMemoryGroupTransport {
        InMemoryGroupTransport(store: self, group: group, consumer: consumer, streams: streams, keys: keys)
    }

    // MARK: The operations, each atomic like a Redis command or script

    static func append(_ stream: String, _ fields: [StreamField], now: UInt64, to state: inout State) -> StreamID {
        let last = state.lastIds[stream] ?? StreamID(milliseconds: 0, sequence: 0)
        let id = now > last.milliseconds ? StreamID(milliseconds: now, sequence: 0) : last.next
        state.lastIds[stream] = id
        state.streams[stream, default: []].append(Entry(id: id, fields: fields))
        state.values[stream] = .stream
        return id
    }

    func withState<T>(_ body: (inout State) throws(TransportFailure) -> T) throws(TransportFailure) -> T {
        try state.withLock { state throws(TransportFailure) in try body(&state) }
    }
}
