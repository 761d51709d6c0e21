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
                idempotency: Idempotency? = nil, blockedBy: String? = nil) {
        precondition(!state.contains(where: { $0.0 == "version" }), "the commit owns the 'version' field")
        self.aggregateKey = aggregateKey
        self.expectedVersion = expectedVersion
        self.state = state
        self.events = events
        self.idempotency = idempotency
        self.blockedBy = blockedBy
    }
}

public enum CommitResult: Sendable, Hashable {
    /// Written: the aggregate is now at `version`; `eventIds` are the new stream entries' ids.
    case committed(version: Int, eventIds: [String])
    /// Someone else changed the aggregate first; nothing was written.
    case conflict(currentVersion: Int)
    /// This idempotency key was used before; nothing was written.
    case duplicate(firstResult: String)
    /// The commit's `blockedBy` key exists; nothing was written.
    case blocked
}

/// Writes aggregate commits in one Lua script: idempotency check, version check, type checks of
/// every key, then the state, the events and the idempotency record. No dual write, no outbox.
public struct AtomicCommitter: Sendable {
    public init() {}

    public func commit(_ commit: AggregateCommit, on connection: RedisConnection) throws(RedisError) -> CommitResult {
        let idempotencyKey = commit.idempotency?.key ?? commit.aggregateKey
        let keys = [commit.aggregateKey, idempotencyKey, commit.blockedBy ?? commit.aggregateKey] + commit.events.map(\.stream)
        var arguments: [String] = [
            String(commit.expectedVersion),
            commit.idempotency == nil ? "0" : "1",
            String(commit.idempotency?.ttlMilliseconds ?? 0),
            commit.idempotency?.result ?? "",
            String(commit.state.count),
        ]
        for (field, value) in commit.state { arguments += [field, value] }
        for (_, event) in commit.events { arguments += [event.type, event.orderId, String(event.at), event.data] }
        let reply = try Self.script.run(on: connection, keys: keys, arguments: RedisCommand(arguments))
        guard let parts = reply.array, let outcome = parts.first?.string else {
            throw .unexpectedReply(expected: "a commit outcome", got: "\(reply)")
        }
        switch outcome {
        case "committed":
            guard parts.count >= 2, let version = parts[1].int else { break }
            return .committed(version: version, eventIds: parts.dropFirst(2).compactMap(\.string))
        case "conflict":
            guard parts.count == 2, let current = parts[1].int else { break }
            return .conflict(currentVersion: current)
        case "blocked":
            return .blocked
        case "duplicate":
            guard parts.count == 2, let first = parts[1].string else { break }
            return .duplicate(firstResult: first)
        default:
            break
        }
        throw .unexpectedReply(expected: "a commit outcome", got: "\(reply)")
    }

    /// Commits through a client (its own thread; never the cooperative pool).
    public func commit(_ commit: AggregateCommit, using client: RedisClient) async throws -> CommitResult {
        try await client.withConnection { connection throws(RedisError) in try self.commit(commit, on: connection) }
    }

    static let script = RedisScript(source: #"""
    #!lua
    -- KEYS: aggregate hash, idempotency key (the aggregate again when unused), blocking key (the
    --       aggregate again when unused), one stream per event
    -- ARGV: expected version, uses idempotency (0/1), idempotency ttl ms, result to remember,
    --       state pair count, (field value)*, then per event: type orderId at data
    local useKey = ARGV[2] == '1'
    if useKey then
      local first = redis.call('GET', KEYS[2])
      if first then return { 'duplicate', first } end
    end
    if KEYS[3] ~= KEYS[1] and redis.call('EXISTS', KEYS[3]) == 1 then return { 'blocked' } end
    local function check(key, allowed)
      local actual = redis.call('TYPE', key).ok
      if actual ~= 'none' and actual ~= allowed then
        return 'WRONGTYPE ' .. key .. ' is a ' .. actual .. ', expected a ' .. allowed
      end
    end
    local problem = check(KEYS[1], 'hash')
    for k = 4, #KEYS do problem = problem or check(KEYS[k], 'stream') end
    if problem then return redis.error_reply(problem) end
    local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
    if current ~= tonumber(ARGV[1]) then return { 'conflict', tostring(current) } end
    local version = current + 1
    local statePairs = tonumber(ARGV[5])
    local hset = { 'HSET', KEYS[1], 'version', tostring(version) }
    for a = 6, 5 + 2 * statePairs do hset[#hset + 1] = ARGV[a] end
    redis.call(unpack(hset))
    local result = { 'committed', tostring(version) }
    local a = 6 + 2 * statePairs
    for k = 4, #KEYS do
      result[#result + 1] = redis.call('XADD', KEYS[k], '*', 'type', ARGV[a], 'orderId', ARGV[a + 1], 'at', ARGV[a + 2], 'data', ARGV[a + 3])
      a = a + 4
    end
    if useKey then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3]) end
    return result
    """#)
}
