import Backbone
import Redis

/// The operator's side of `baedal:dead`: read, replay, drop. `baedalctl dead` and the console
/// both act through it, so a replay from either is the same replay.
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

        public var description: String {
            switch self {
            case .notFound(let id): "no dead letter \(id) in the dead-letter stream"
            case .notADeadLetter(let id): "entry \(id) of the dead-letter stream lacks stream/group fields"
            case .notAnId(let id): "'\(id.prefix(40))' is not a stream entry id (milliseconds-sequence)"
            }
        }
    }

    /// The oldest `count` dead letters (after `after`, when given), oldest first.
    public func list(count: Int = 100, after: String? = nil) async throws -> [Letter] {
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
        var arguments = RedisCommand([id, letter.group, DeadLetter.replayField])
        for field in letter.original where field.name != DeadLetter.replayField {
            arguments.append(field.name)
            arguments.append(bytes: field.value)  // binary-safe: the entry goes back byte for byte
        }
        let reply = try await redis.run(Self.replayScript, keys: [letter.stream, keys.dead], arguments: arguments)
        guard let newId = reply.string else { throw RedisError.unexpectedReply(expected: "the replayed entry's id", got: "\(reply)") }
        return (letter, newId)
    }

    /// Removes a dead letter for good; false when there was none.
    public func drop(_ id: String) async throws -> Bool {
        guard StreamID(id) != nil else { throw Failure.notAnId(id) }
        return try await redis.send(RedisCommand("XDEL", keys.dead, id)).int == 1
    }

    /// The ids of every dead letter up to and including `through` (every one there is now,
    /// when nil): what "all" means for a replay or a drop, so letters that arrive while an
    /// operator decides are not acted on unseen. Read in pages of 1,000.
    public func ids(through: String? = nil) async throws -> [String] {
        if let through, StreamID(through) == nil { throw Failure.notAnId(through) }
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

    static let replayScript = RedisScript(source: #"""
    -- KEYS: the original stream, the dead-letter stream
    -- ARGV: dead letter id, group, the replay field's name, then the original fields (name value)*
    local exists = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
    if #exists == 0 then return redis.error_reply('NOTFOUND the dead letter is gone') end
    local xadd = { 'XADD', KEYS[1], '*' }
    for a = 4, #ARGV do xadd[#xadd + 1] = ARGV[a] end
    xadd[#xadd + 1] = ARGV[3]
    xadd[#xadd + 1] = ARGV[2]
    local id = redis.call(unpack(xadd))
    redis.call('XDEL', KEYS[2], ARGV[1])
    return id
    """#)
}
