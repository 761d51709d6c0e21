import Redis

/// The operator's side of `baedal:dead`: read, replay, drop.
public struct DeadLetterStore: Sendable {
    /// The field a replayed entry carries: the one group that should handle it again.
    public static let replayField = "replayFor"
    /// The fields a dead letter adds before the original ones.
    public static let headerFields = ["stream", "id", "group", "consumer", "deliveries", "reason"]

    public let keys: Keys

    public init(keys: Keys) {
        self.keys = keys
    }

    /// One dead letter: its id in `baedal:dead`, where it came from, and the original entry.
    public struct Letter: Sendable, Hashable {
        public var id: String
        public var header: [String: String]
        public var original: [StreamField]

        public var stream: String { header["stream"] ?? "" }
        public var group: String { header["group"] ?? "" }
        public var reason: String { header["reason"] ?? "" }
        public func originalValue(_ name: String) -> String? {
            original.first { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
        }
    }

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
        return (reply.array ?? []).compactMap(Self.letter)
    }

    public func count(on connection: RedisConnection) throws(RedisError) -> Int {
        try connection.send(RedisCommand("XLEN", keys.dead)).int ?? 0
    }

    public func letter(_ id: String, on connection: RedisConnection) throws -> Letter {
        let reply = try connection.send(RedisCommand("XRANGE", keys.dead, id, id))
        guard let entry = reply.array?.first else { throw Failure.notFound(id) }
        guard let letter = Self.letter(entry), !letter.stream.isEmpty, !letter.group.isEmpty else { throw Failure.notADeadLetter(id) }
        return letter
    }

    /// Puts the original entry back on its stream for its group only, and removes the dead
    /// letter, in one step. Returns the new entry's id.
    public func replay(_ id: String, on connection: RedisConnection) throws -> String {
        let letter = try letter(id, on: connection)
        var arguments = [id, letter.group]
        for field in letter.original where field.name != Self.replayField {
            arguments.append(field.name)
            arguments.append(String(decoding: field.value, as: UTF8.self))
        }
        let reply = try Self.replayScript.run(on: connection, keys: [letter.stream, keys.dead], arguments: RedisCommand(arguments))
        guard let newId = reply.string else { throw RedisError.unexpectedReply(expected: "the replayed entry's id", got: "\(reply)") }
        return newId
    }

    /// Removes a dead letter for good; false when there was none.
    public func drop(_ id: String, on connection: RedisConnection) throws(RedisError) -> Bool {
        try connection.send(RedisCommand("XDEL", keys.dead, id)).int == 1
    }

    static func letter(_ entry: RESPValue) -> Letter? {
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
        let values = parts[1].array ?? []
        var header: [String: String] = [:]
        var original: [StreamField] = []
        var index = 0
        while index + 1 < values.count {
            let name = values[index].string ?? ""
            if index < 2 * headerFields.count, headerFields.contains(name) {
                header[name] = values[index + 1].string ?? ""
            } else {
                original.append(StreamField(name, values[index + 1].bytes ?? []))
            }
            index += 2
        }
        return Letter(id: id, header: header, original: original)
    }

    static let replayScript = RedisScript(source: #"""
    -- KEYS: the original stream, the dead-letter stream
    -- ARGV: dead letter id, group, then the original fields (name value)*
    local exists = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
    if #exists == 0 then return redis.error_reply('NOTFOUND the dead letter is gone') end
    local xadd = { 'XADD', KEYS[1], '*' }
    for a = 3, #ARGV do xadd[#xadd + 1] = ARGV[a] end
    xadd[#xadd + 1] = 'replayFor'
    xadd[#xadd + 1] = ARGV[2]
    local id = redis.call(unpack(xadd))
    redis.call('XDEL', KEYS[2], ARGV[1])
    return id
    """#)
}
