import Contract
import Redis

/// The operator's side of `baedal:dead`: read, replay, drop. `baedalctl dead` and the console
/// both act through it, so a replay from either is the same replay.
///
/// Everything about a letter is checked before it is acted on, and every action answers for
/// itself: a letter that is gone (replayed or dropped a moment ago by another operator) is
/// `notFound`, one that cannot go back (its `stream` field names no stream of this deployment,
/// or a key of another type, or it was kept in part) is `notReplayable` with the reason; "all"
/// reports each letter's outcome and goes on with the rest.
public struct DeadLetterStore: Sendable {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) {
        self.keys = keys
        self.redis = redis
    }

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
            case .notAnId(let id): "'\(id.prefix(40))' is not a stream entry id (milliseconds-sequence)"
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

    /// The oldest `count` dead letters (after `after`, when given), oldest first.
    public func list(count: Int = 100, after: String? = nil) async throws -> [Letter] {
        if let after, StreamID(after) == nil { throw Failure.notAnId(after) }
        let start = after.map { "(" + $0 } ?? "-"
        let reply = try await redis.send(RedisCommand("XRANGE", keys.dead, start, "+", "COUNT", String(count)))
        return (reply.array ?? []).compactMap(DeadLetter.letter)
    }

    public func count() async throws -> Int {
        try await redis.send(RedisCommand("XLEN", keys.dead)).int ?? 0
    }

    public func letter(_ id: String) async throws -> Letter {
        guard StreamID(id) != nil else { throw Failure.notAnId(id) }
        let reply = try await redis.send(RedisCommand("XRANGE", keys.dead, id, id))
        guard let entry = reply.array?.first else { throw Failure.notFound(id) }
        guard let letter = DeadLetter.letter(entry), !letter.stream.isEmpty, !letter.group.isEmpty else { throw Failure.notADeadLetter(id) }
        return letter
    }

    /// Puts the original entry back on its stream for its group only, and removes the dead
    /// letter, in one step. Returns the letter and the new entry's id.
    @discardableResult
    public func replay(_ id: String) async throws -> (letter: Letter, newId: String) {
        let letter = try await letter(id)
        // Only to a stream of this deployment: a letter is anyone's to write, and its `stream`
        // field must not make a replay create or write an arbitrary key.
        guard keys.streamName(ofKey: letter.stream) != nil else {
            throw Failure.notReplayable(id: id, reason: "'\(letter.stream.prefix(80))' is not one of this deployment's event streams")
        }
        if let truncated = letter.truncated {
            throw Failure.notReplayable(id: id, reason: "it keeps only part of the original entry (\(truncated)); drop it")
        }
        var arguments = RedisCommand([id, letter.group, DeadLetter.replayField])
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
        guard StreamID(id) != nil else { throw Failure.notAnId(id) }
        return try await redis.send(RedisCommand("XDEL", keys.dead, id)).int == 1
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
    /// when nil): what "all" means for a replay or a drop, so letters that arrive while an
    /// operator decides are not acted on unseen. `through` must name a letter that is there now
    /// (the newest one the operator was shown): an id beyond every letter would reach letters
    /// nobody saw, and one that is gone means the list changed (`stale`). Read in pages of 1,000.
    public func ids(through: String? = nil) async throws -> [String] {
        if let through {
            guard StreamID(through) != nil else { throw Failure.notAnId(through) }
            guard try await redis.send(RedisCommand("XRANGE", keys.dead, through, through)).array?.isEmpty == false else {
                throw Failure.stale(through)
            }
        }
        var ids: [String] = []
        var start = "-"
        let end = through ?? "+"
        while true {
            let page = try await redis.send(RedisCommand("XRANGE", keys.dead, start, end, "COUNT", "1000")).array ?? []
            let found = page.compactMap { $0.array?.first?.string }
            ids += found
            guard page.count == 1000, let last = found.last else { return ids }
            start = "(" + last
        }
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
