import Contract
import Redis

/// Writes aggregate commits in one Lua script: idempotency check, version check, then the
/// events, the state, the snapshots and the idempotency record. No dual write, no outbox.
public struct AtomicCommitter: Sendable {
    public init() {}

    /// Commits on a connection of the caller's (tests, tools).
    public func commit(_ commit: AggregateCommit, on connection: RedisConnection) throws(RedisError) -> CommitResult {
        let (keys, arguments) = Self.invocation(commit)
        return try Self.result(try Self.script.run(on: connection, keys: keys, arguments: arguments))
    }

    /// Commits through any executor (a request path's client or pool). With a replication to
    /// wait for, a commit (or the repeat of an idempotency key) is reported only once it reached
    /// that many replicas: `RedisError.notReplicated` otherwise, and the caller may retry with the
    /// same idempotency key (the commit stands on the primary; the retry finds it).
    public func commit(_ commit: AggregateCommit, using redis: any RedisExecutor, replication: Replication = .none) async throws -> CommitResult {
        let (keys, arguments) = Self.invocation(commit)
        guard replication.replicas > 0 else {
            return try Self.result(try await redis.run(Self.script, keys: keys, arguments: arguments))
        }
        let (reply, replicas) = try await redis.run(Self.script, keys: keys, arguments: arguments, replication: replication)
        let result = try Self.result(reply)
        switch result {
        case .committed:
            try replication.check(replicas)
        case .duplicate:
            // The first commit of this key may not have reached the replicas yet: a write after it
            // that they confirm proves they have it.
            if let idempotency = commit.idempotency {
                try replication.check(try await redis.confirm(
                    touching: RedisCommand("PEXPIRE", idempotency.key, String(idempotency.ttlMilliseconds)), replication: replication))
            }
        case .conflict, .blocked:
            break
        }
        return result
    }

    /// The script's keys and arguments. Every event appended carries `trace` (the committing
    /// span's `traceparent` and `tracestate`, `TraceFields.current()`; none when tracing is off).
    static func invocation(_ commit: AggregateCommit, trace: [StreamField] = TraceFields.current()) -> (keys: [String], arguments: RedisCommand) {
        let idempotencyKey = commit.idempotency?.key ?? commit.aggregateKey
        let keys = [commit.aggregateKey, idempotencyKey, commit.blockedBy ?? commit.aggregateKey] + commit.events.map(\.stream)
            + commit.snapshots.map(\.key) + commit.timers.map(\.key)
        var arguments = RedisCommand([
            String(commit.expectedVersion),
            commit.idempotency == nil ? "0" : "1",
            String(commit.idempotency?.ttlMilliseconds ?? 0),
            commit.idempotency?.result ?? "",
            String(commit.timers.count),
            String(commit.state.count),
        ])
        for (field, value) in commit.state {
            arguments.append(field)
            arguments.append(value)
        }
        arguments.append(commit.events.count)
        arguments.append(trace.count)
        for field in trace {
            arguments.append(field.name)
            arguments.append(bytes: field.value)
        }
        for (_, event) in commit.events {
            arguments.append(event.type)
            arguments.append(event.orderId)
            arguments.append(String(event.at))
            arguments.append(event.data)
        }
        // A value equal to the last one set is sent once: an order's copies on the store's board,
        // the customer's page and the riders' board are the same text (issue 20: the script's
        // cost grows with the bytes it is given).
        var lastSet: String?
        for snapshot in commit.snapshots {
            arguments.append(snapshot.field)
            if let value = snapshot.value {
                if value == lastSet {
                    arguments.append("=")
                } else {
                    arguments.append("s")
                    arguments.append(value)
                    lastSet = value
                }
            } else {
                arguments.append("d")
            }
        }
        for timer in commit.timers {
            arguments.append(timer.member)
            arguments.append(timer.due.map { String($0) } ?? "r")
        }
        return (keys, arguments)
    }

    static func result(_ reply: RESPValue) throws(RedisError) -> CommitResult {
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

    /// Every key is checked before the first write, because a script is not rolled back when a
    /// command fails half way; most checks are the reads the commit needs anyway: `GET` of the
    /// receipt and `HGET` of the version fail on a key of another type before anything is
    /// written, and the first event's `XADD` is the first write (if it fails, nothing was
    /// written). Only the other streams, the snapshots' hashes and the timers' sorted sets are
    /// checked with `TYPE`.
    static let script = RedisScript(source: #"""
    #!lua
    -- KEYS: aggregate hash, idempotency key (the aggregate again when unused), blocking key (the
    --       aggregate again when unused), one stream per event, one hash per snapshot, one sorted
    --       set per timer
    -- ARGV: expected version, uses idempotency (0/1), idempotency ttl ms, result to remember,
    --       timer count, state pair count, (field value)*, event count, trace field count,
    --       (trace field value)*, then per event: type orderId at data, then per snapshot: field and
    --       's' value (set), '=' (set to the last value set) or 'd' (delete), then per timer: member,
    --       due ms or 'r' (remove)
    local useKey = ARGV[2] == '1'
    if useKey then
      local first = redis.call('GET', KEYS[2])
      if first then return { 'duplicate', first } end
    end
    if KEYS[3] ~= KEYS[1] and redis.call('EXISTS', KEYS[3]) == 1 then return { 'blocked' } end
    local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
    if current ~= tonumber(ARGV[1]) then return { 'conflict', tostring(current) } end
    local ntimers = tonumber(ARGV[5])
    local statePairs = tonumber(ARGV[6])
    local a = 7 + 2 * statePairs
    local nevents = tonumber(ARGV[a])
    local trace = {}
    for t = a + 2, a + 1 + 2 * tonumber(ARGV[a + 1]) do trace[#trace + 1] = ARGV[t] end
    a = a + 2 + #trace
    local firstSnapshot = 4 + nevents
    local lastSnapshot = #KEYS - ntimers
    local function check(key, allowed)
      local actual = redis.call('TYPE', key).ok
      if actual ~= 'none' and actual ~= allowed then
        return 'WRONGTYPE ' .. key .. ' is a ' .. actual .. ', expected a ' .. allowed
      end
    end
    local problem
    for k = 5, 3 + nevents do problem = problem or check(KEYS[k], 'stream') end
    for k = firstSnapshot, lastSnapshot do problem = problem or check(KEYS[k], 'hash') end
    for k = lastSnapshot + 1, #KEYS do problem = problem or check(KEYS[k], 'zset') end
    if problem then return redis.error_reply(problem) end
    local version = current + 1
    local result = { 'committed', tostring(version) }
    for k = 4, 3 + nevents do
      result[#result + 1] = redis.call('XADD', KEYS[k], '*', 'type', ARGV[a], 'orderId', ARGV[a + 1], 'at', ARGV[a + 2], 'data', ARGV[a + 3], unpack(trace))
      a = a + 4
    end
    local hset = { 'HSET', KEYS[1], 'version', tostring(version) }
    for f = 7, 6 + 2 * statePairs do hset[#hset + 1] = ARGV[f] end
    redis.call(unpack(hset))
    local value
    for k = firstSnapshot, lastSnapshot do
      local op = ARGV[a + 1]
      if op == 's' then
        value = ARGV[a + 2]
        redis.call('HSET', KEYS[k], ARGV[a], value)
        a = a + 3
      else
        if op == '=' then redis.call('HSET', KEYS[k], ARGV[a], value) else redis.call('HDEL', KEYS[k], ARGV[a]) end
        a = a + 2
      end
    end
    for k = lastSnapshot + 1, #KEYS do
      if ARGV[a + 1] == 'r' then redis.call('ZREM', KEYS[k], ARGV[a]) else redis.call('ZADD', KEYS[k], ARGV[a + 1], ARGV[a]) end
      a = a + 2
    end
    if useKey then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3]) end
    return result
    """#)
}
