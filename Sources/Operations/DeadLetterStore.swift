import Contract
import Numbers
import Redis

/// The operator's side of `baedal:dead`: read, replay, drop. `baedalctl dead` and the console
/// both act through it, so a replay from either is the same replay.
///
/// With more than one partition each partition has its dead-letter stream (`baedal:{k}:dead`):
/// letters are listed from all of them, merged in the order they were written, and a letter's id
/// says its partition (`k/<entry id>`, `DeadLetterID`), so a replay or a drop goes to that
/// partition's keys, and a replayed entry back to that partition's stream (one slot, one step).
///
/// Everything about a letter is checked before it is acted on, and every action answers for
/// itself: a letter that is gone (replayed or dropped a moment ago by another operator) is
/// `notFound`, one that cannot go back (its `stream` field names no stream of its partition,
/// or a key of another type, or it was kept in part) is `notReplayable` with the reason; "all"
/// reports each letter's outcome and goes on with the rest.
public struct DeadLetterStore: Sendable {
    /// Every partition's keys, by partition.
    public let partitions: [Keys]
    public let redis: any RedisExecutor

    /// The letters of one partition's keys (one untagged partition: the contract's `baedal:dead`).
    public init(keys: Keys, redis: any RedisExecutor) {
        self.partitions = [keys]
        self.redis = redis
    }

    /// The letters of every partition of the key space.
    public init(keySpace: KeySpace, redis: any RedisExecutor) {
        self.partitions = keySpace.all
        self.redis = redis
    }

    /// The first partition's keys (the only ones with one partition).
    public var keys: Keys { partitions[0] }

    public typealias Letter = DeadLetter.Letter

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case notFound(String)
        case notADeadLetter(String)
        case notAnId(String)
        case notReplayable(id: String, reason: String)
        /// "Through the newest letter shown" names no letter there is now: the page is stale.
        case stale(String)

        public var description: String {
            switch self {
            case .notFound(let id): "no dead letter \(id) in the dead-letter stream (it may just have been replayed or dropped)"
            case .notADeadLetter(let id): "entry \(id) of the dead-letter stream lacks stream/group fields"
            case .notAnId(let id): "'\(id.prefix(40))' is not a dead letter's id (milliseconds-sequence, or partition/milliseconds-sequence when there are partitions)"
            case .notReplayable(let id, let reason): "dead letter \(id) cannot be replayed: \(reason)"
            case .stale(let id): "no dead letter \(id) any more: the letters changed since they were listed; list them again"
            }
        }
    }

    /// What "replay all" or "drop all" did, letter by letter.
    public struct Report: Sendable, Hashable {
        /// Letters acted on.
        public var done: [String] = []
        /// Letters gone before their turn (another operator acted on them).
        public var gone: [String] = []
        /// Letters that could not be acted on, with the reason.
        public var failed: [(id: String, reason: String)] = []

        public static func == (a: Report, b: Report) -> Bool {
            a.done == b.done && a.gone == b.gone && a.failed.map(\.id) == b.failed.map(\.id) && a.failed.map(\.reason) == b.failed.map(\.reason)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(done)
            hasher.combine(gone)
            hasher.combine(failed.map(\.id))
        }
    }

    /// The operator's id read against the partitions there are.
    public func parse(_ id: String) throws(Failure) -> DeadLetterID {
        guard let parsed = DeadLetterID(id, partitions: partitions.count) else { throw .notAnId(id) }
        return parsed
    }

    /// The id of entry `entry` of partition `partition`'s dead-letter stream, as operators see it.
    func letterId(partition: Int, entry: String) -> DeadLetterID? {
        StreamID(entry).map { DeadLetterID(partition: partition, entry: $0, qualified: partitions.count > 1) }
    }

    /// The oldest `count` dead letters of every partition (after `after`, when given), oldest first.
    public func list(count: Int = 100, after: String? = nil) async throws -> [Letter] {
        var from: DeadLetterID?
        if let after { from = try parse(after) }
        // After (e, K) in the merged order: in partition k, entries after e, or e itself when k > K.
        let replies = try await redis.pipeline(partitions.enumerated().map { k, keys in
            let start = from.map { (k > $0.partition ? "" : "(") + $0.entry.description } ?? "-"
            return RedisCommand("XRANGE", keys.dead, start, "+", "COUNT", String(count))
        })
        var letters: [(id: DeadLetterID, letter: Letter)] = []
        for (k, reply) in replies.enumerated() {
            for entry in reply.array ?? [] {
                guard var letter = DeadLetter.letter(entry), let id = letterId(partition: k, entry: letter.id) else { continue }
                letter.id = id.description
                letters.append((id, letter))
            }
        }
        if partitions.count > 1 { letters.sort { $0.id < $1.id } }
        return letters.prefix(max(0, count)).map(\.letter)
    }

    /// How many letters there are, over every partition.
    public func count() async throws -> Int {
        try await summary().total
    }

    /// How many letters there are and the newest one's id (what "all" may reach), in one round trip.
    public func summary() async throws -> (total: Int, newest: String?) {
        let replies = try await redis.pipeline(partitions.flatMap { keys in
            [RedisCommand("XLEN", keys.dead), RedisCommand("XREVRANGE", keys.dead, "+", "-", "COUNT", "1")]
        })
        var total = 0
        var newest: DeadLetterID?
        for k in partitions.indices {
            total = total.clampedAdding(max(0, replies[2 * k].int ?? 0))
            if let entry = replies[2 * k + 1].array?.first?.array?.first?.string, let id = letterId(partition: k, entry: entry) {
                newest = newest.map { max($0, id) } ?? id
            }
        }
        return (total, newest?.description)
    }

    public func letter(_ id: String) async throws -> Letter {
        let parsed = try parse(id)
        let keys = partitions[parsed.partition]
        let entry = parsed.entry.description
        let reply = try await redis.send(RedisCommand("XRANGE", keys.dead, entry, entry))
        guard let found = reply.array?.first else { throw Failure.notFound(id) }
        guard var letter = DeadLetter.letter(found), !letter.stream.isEmpty, !letter.group.isEmpty else { throw Failure.notADeadLetter(id) }
        letter.id = parsed.description
        return letter
    }

    /// Puts the original entry back on its stream for its group only, and removes the dead
    /// letter, in one step. Returns the letter and the new entry's id.
    @discardableResult
    public func replay(_ id: String) async throws -> (letter: Letter, newId: String) {
        let parsed = try parse(id)
        let keys = partitions[parsed.partition]
        let letter = try await letter(id)
        // Only to a stream of this deployment, in the letter's own partition: a letter is anyone's
        // to write, and its `stream` field must not make a replay create or write an arbitrary key.
        guard keys.streamName(ofKey: letter.stream) != nil else {
            throw Failure.notReplayable(id: id, reason: "'\(letter.stream.prefix(80))' is not one of this deployment's event streams in the letter's partition")
        }
        if let truncated = letter.truncated {
            throw Failure.notReplayable(id: id, reason: "it keeps only part of the original entry (\(truncated)); drop it")
        }
        var arguments = RedisCommand([parsed.entry.description, letter.group, DeadLetter.replayField])
        for field in letter.original where field.name != DeadLetter.replayField {
            arguments.append(field.name)
            arguments.append(bytes: field.value)  // binary-safe: the entry goes back byte for byte
        }
        let reply = try await redis.run(Self.replayScript, keys: [letter.stream, keys.dead], arguments: arguments)
        guard let parts = reply.array, let outcome = parts.first?.string else {
            throw RedisError.unexpectedReply(expected: "a replay outcome", got: "\(reply)")
        }
        switch outcome {
        case "replayed":
            guard parts.count == 2, let newId = parts[1].string else { break }
            return (letter, newId)
        case "gone":
            throw Failure.notFound(id)
        case "wrongtype":
            throw Failure.notReplayable(id: id, reason: "\(letter.stream) is a \(parts.count > 1 ? parts[1].string ?? "?" : "?"), not a stream")
        default:
            break
        }
        throw RedisError.unexpectedReply(expected: "a replay outcome", got: "\(reply)")
    }

    /// Removes a dead letter for good; false when there was none.
    public func drop(_ id: String) async throws -> Bool {
        let parsed = try parse(id)
        return try await redis.send(RedisCommand("XDEL", partitions[parsed.partition].dead, parsed.entry.description)).int == 1
    }

    /// Replays every letter up to `through` (see `ids(through:)`), each on its own: one that is
    /// gone or cannot go back is reported, and the rest go on.
    public func replayAll(through: String? = nil, each: (Letter, String) -> Void = { _, _ in }) async throws -> Report {
        var report = Report()
        for id in try await ids(through: through) {
            do {
                let (letter, newId) = try await replay(id)
                each(letter, newId)
                report.done.append(id)
            } catch Failure.notFound {
                report.gone.append(id)
            } catch let failure as Failure {
                report.failed.append((id, failure.description))
            }
        }
        return report
    }

    /// Drops every letter up to `through` (see `ids(through:)`); letters gone already are reported.
    public func dropAll(through: String? = nil) async throws -> Report {
        var report = Report()
        for id in try await ids(through: through) {
            if try await drop(id) { report.done.append(id) } else { report.gone.append(id) }
        }
        return report
    }

    /// The ids of every dead letter up to and including `through` (every one there is now,
    /// when nil), over every partition in the merged order: what "all" means for a replay or a
    /// drop, so letters that arrive while an operator decides are not acted on unseen. `through`
    /// must name a letter that is there now (the newest one the operator was shown): an id beyond
    /// every letter would reach letters nobody saw, and one that is gone means the list changed
    /// (`stale`). Read in pages of 1,000.
    public func ids(through: String? = nil) async throws -> [String] {
        var bound: DeadLetterID?
        if let through {
            let parsed = try parse(through)
            let entry = parsed.entry.description
            guard try await redis.send(RedisCommand("XRANGE", partitions[parsed.partition].dead, entry, entry)).array?.isEmpty == false else {
                throw Failure.stale(through)
            }
            bound = parsed
        }
        var ids: [DeadLetterID] = []
        for (k, keys) in partitions.enumerated() {
            // Up to (e, K) in the merged order: in partition k, entries before e, or e itself when k <= K.
            let end = bound.map { (k <= $0.partition ? "" : "(") + $0.entry.description } ?? "+"
            var start = "-"
            while true {
                let page = try await redis.send(RedisCommand("XRANGE", keys.dead, start, end, "COUNT", "1000")).array ?? []
                let found = page.compactMap { $0.array?.first?.string }
                ids += found.compactMap { letterId(partition: k, entry: $0) }
                guard page.count == 1000, let last = found.last else { break }
                start = "(" + last
            }
        }
        if partitions.count > 1 { ids.sort() }
        return ids.map(\.description)
    }

    /// The letter is checked, the original's stream's type is checked, then the entry goes back
    /// and the letter away; each refusal is an outcome, not an error, so the caller can tell a
    /// letter another operator took a moment ago (`gone`) from a failure.
    static let replayScript = RedisScript(source: #"""
    -- KEYS: the original stream, the dead-letter stream
    -- ARGV: dead letter id, group, the replay field's name, then the original fields (name value)*
    local exists = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
    if #exists == 0 then return { 'gone' } end
    local kind = redis.call('TYPE', KEYS[1]).ok
    if kind ~= 'stream' and kind ~= 'none' then return { 'wrongtype', kind } end
    local xadd = { 'XADD', KEYS[1], '*' }
    for a = 4, #ARGV do xadd[#xadd + 1] = ARGV[a] end
    xadd[#xadd + 1] = ARGV[3]
    xadd[#xadd + 1] = ARGV[2]
    local id = redis.call(unpack(xadd))
    redis.call('XDEL', KEYS[2], ARGV[1])
    return { 'replayed', id }
    """#)
}
