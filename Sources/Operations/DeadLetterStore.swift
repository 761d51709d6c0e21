import Backbone
import Redis

/// The operator's side of `baedal:dead`: read, replay, drop.
public struct DeadLetterStore: Sendable {
    public let keys: Keys

    public init(keys: Keys) {
        self.keys = keys
    }

    public typealias Letter = DeadLetter.Letter

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case notFound(String)
        case notADeadLetter(String)

        public var description: String {
            switch self {
            case .notFound(let id): "no dead letter \(id) in the dead-letter stream"
            case .notADeadLetter(let id): "entry \(id) of the dead-letter stream lacks stream/group fields"
            }
        }
    }

    public func list(on connection: RedisConnection, count: Int = 100) throws(RedisError) -> [Letter] {
        let reply = try connection.send(RedisCommand("XRANGE", keys.dead, "-", "+", "COUNT", String(count)))
        return (reply.array ?? []).compactMap(DeadLetter.letter)
    }

    public func count(on connection: RedisConnection) throws(RedisError) -> Int {
        try connection.send(RedisCommand("XLEN", keys.dead)).int ?? 0
    }

    public func letter(_ id: String, on connection: RedisConnection) throws -> Letter {
        let reply = try connection.send(RedisCommand("XRANGE", keys.dead, id, id))
        guard let entry = reply.array?.first else { throw Failure.notFound(id) }
        guard let letter = DeadLetter.letter(entry), !letter.stream.isEmpty, !letter.group.isEmpty else { throw Failure.notADeadLetter(id) }
        return letter
    }

    /// Puts the original entry back on its stream for its group only, and removes the dead
    /// letter, in one step. Returns the new entry's id.
    public func replay(_ id: String, on connection: RedisConnection) throws -> String {
        let letter = try letter(id, on: connection)
        var arguments = RedisCommand([id, letter.group, DeadLetter.replayField])
        for field in letter.original where field.name != DeadLetter.replayField {
            arguments.append(field.name)
            arguments.append(bytes: field.value)  // binary-safe: the entry goes back byte for byte
        }
        let reply = try Self.replayScript.run(on: connection, keys: [letter.stream, keys.dead], arguments: arguments)
        guard let newId = reply.string else { throw RedisError.unexpectedReply(expected: "the replayed entry's id", got: "\(reply)") }
        return newId
    }

    /// Removes a dead letter for good; false when there was none.
    public func drop(_ id: String, on connection: RedisConnection) throws(RedisError) -> Bool {
        try connection.send(RedisCommand("XDEL", keys.dead, id)).int == 1
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
