import Contract
import Redis

/// What a consumer group keeps beside its pending list, so that losing the group (an operator's
/// `XGROUP DESTROY`, a restore that lacks it) never makes it apply again what its effects hold:
///
/// - `positions` (`<prefix>:group:<group>:positions`, a hash: stream key → id): the group's low
///   watermark per stream, an id below which every entry is finished (acknowledged, or waiting in
///   the retry book). Each instance records it every claim interval (`recordWatermark`): the
///   entry just before the oldest pending one that is not in the retry book, or the group's last
///   delivered id when nothing is pending. It only ever moves forward.
/// - `applied(stream)` (`<prefix>:group:<group>:applied:<stream>`, a sorted set of ids scored by
///   their milliseconds): every message above the watermark whose effects were applied, written
///   by the apply script in the same step; trimmed as the watermark moves on, so it holds about a
///   claim interval's worth of ids plus what crashed consumers left pending.
/// - the retry book (`RetryBook`): messages waiting for a retry.
///
/// A group that is missing is created by `createGroup` at the recorded watermark (at the start
/// of the stream when there is none: a new group reads everything). Entries after the watermark
/// are delivered again; those in `applied` are acknowledged without their effects (the apply
/// script's duplicate check); entries the retry book held at or below the watermark are
/// appended again for this group alone (`replayFor`, as a dead letter's replay), because the
/// pending list that held them is gone. Exactly once, without a record per entry forever.
public struct GroupRecords: Sendable {
    public let keys: Keys
    public let group: String

    public init(keys: Keys, group: String) {
        self.keys = keys
        self.group = group
    }

    /// The group's watermark per stream.
    public var positions: String { keys.groupPositions(group) }

    /// The ids of `stream` whose effects this group applied above its watermark.
    public func applied(_ stream: String) -> String { keys.groupApplied(group, stream: stream) }

    /// The group's retry book.
    public var retryBook: String { keys.retryBook(group) }

    /// What `createGroup` did.
    public enum Creation: Sendable, Hashable {
        /// The group was there.
        case existed
        /// Made at `position` ("0": the start); `replayed` entries of the retry book were appended again.
        case created(position: String, replayed: Int)
    }

    /// Creates the group on `stream` unless it exists: at the recorded watermark, replaying what
    /// the retry book held below it. Several instances may race: one creates, the rest find it.
    public func createGroup(on stream: String, using redis: any RedisExecutor) async throws -> Creation {
        let reply = try await redis.run(Self.createScript, keys: [stream, positions, retryBook],
                                        arguments: RedisCommand(group, DeadLetter.replayField))
        return try Self.creation(reply)
    }

    /// The same, on a connection of the caller's.
    public func createGroup(on stream: String, connection: RedisConnection) throws(RedisError) -> Creation {
        try Self.creation(try Self.createScript.run(on: connection, keys: [stream, positions, retryBook],
                                                    arguments: RedisCommand(group, DeadLetter.replayField)))
    }

    static func creation(_ reply: RESPValue) throws(RedisError) -> Creation {
        guard let parts = reply.array, let outcome = parts.first?.string else {
            throw .unexpectedReply(expected: "a group creation outcome", got: "\(reply)")
        }
        if outcome == "existed" { return .existed }
        guard outcome == "created", parts.count == 3, let position = parts[1].string, let replayed = parts[2].int else {
            throw .unexpectedReply(expected: "a group creation outcome", got: "\(reply)")
        }
        return .created(position: position, replayed: replayed)
    }

    /// Records the group's watermark on `stream` and trims `applied` below it; returns it.
    @discardableResult
    public func recordWatermark(on stream: String, using redis: any RedisExecutor) async throws -> String? {
        try await redis.run(Self.watermarkScript, keys: [stream, positions, applied(stream), retryBook], arguments: RedisCommand(group)).string
    }

    /// Lua helpers shared by the scripts: stream ids compared as two numbers (as text of digits,
    /// so no precision is lost), the id just before another, an id's milliseconds as a score.
    static let idFunctions = #"""
    local function parts(id)
      local ms, seq = string.match(id, '^(%d+)-(%d+)$')
      return ms or '0', seq or '0'
    end
    local function less(a, b)
      local function lt(x, y) if #x ~= #y then return #x < #y end return x < y end
      local am, as = parts(a)
      local bm, bs = parts(b)
      if am ~= bm then return lt(am, bm) end
      return lt(as, bs)
    end
    local function before(id)
      local ms, seq = parts(id)
      if seq ~= '0' then return ms .. '-' .. string.format('%.0f', tonumber(seq) - 1) end
      if ms == '0' then return '0-0' end
      return string.format('%.0f', tonumber(ms) - 1) .. '-18446744073709551615'
    end
    local function score(id)
      local ms = parts(id)
      return ms
    end
    """#

    static let createScript = RedisScript(source: #"""
    -- KEYS: stream, positions hash, retry book
    -- ARGV: group, the replay field's name
    """# + "\n" + idFunctions + "\n" + #"""
    local stream, group = KEYS[1], ARGV[1]
    local at = redis.call('HGET', KEYS[2], stream) or '0'
    local made = redis.pcall('XGROUP', 'CREATE', stream, group, at, 'MKSTREAM')
    if type(made) == 'table' and made.err then
      if string.sub(made.err, 1, 9) == 'BUSYGROUP' then return { 'existed' } end
      return made
    end
    -- The pending list is gone with the group: every retry waiting on this stream is stale, and
    -- those at or below the watermark would never come again. They are appended again for this
    -- group alone; an entry too large to copy in a script is left (and the failure counted).
    local replayed = 0
    local book = redis.call('HGETALL', KEYS[3])
    local prefix = stream .. ' '
    for i = 1, #book, 2 do
      local field = book[i]
      if string.sub(field, 1, #prefix) == prefix then
        local id = string.sub(field, #prefix + 1)
        if at ~= '0' and not less(at, id) then
          local entry = redis.call('XRANGE', stream, id, id)
          if #entry == 1 then
            local fields, copy = entry[1][2], {}
            for f = 1, #fields, 2 do
              if fields[f] ~= ARGV[2] then copy[#copy + 1] = fields[f]; copy[#copy + 1] = fields[f + 1] end
            end
            copy[#copy + 1] = ARGV[2]
            copy[#copy + 1] = group
            if pcall(function() redis.call('XADD', stream, '*', unpack(copy)) end) then replayed = replayed + 1 end
          end
        end
        redis.call('HDEL', KEYS[3], field)
      end
    end
    return { 'created', at, replayed }
    """#)

    static let watermarkScript = RedisScript(source: #"""
    -- KEYS: stream, positions hash, applied set, retry book
    -- ARGV: group
    """# + "\n" + idFunctions + "\n" + #"""
    local stream, group = KEYS[1], ARGV[1]
    local ok, summary = pcall(redis.call, 'XPENDING', stream, group)
    if not ok then return false end
    local function lastDelivered()
      for _, info in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
        local name, last
        for f = 1, #info, 2 do
          if info[f] == 'name' then name = info[f + 1] elseif info[f] == 'last-delivered-id' then last = info[f + 1] end
        end
        if name == group then return last end
      end
    end
    local mark
    if summary[1] == 0 then
      mark = lastDelivered()
    else
      -- Just before the oldest pending entry that is not waiting in the retry book (those are
      -- replayed from the book if the group is lost); when every pending entry is in the book,
      -- the last delivered id; after ten pages of retries, just before the first unread page.
      local start, exhausted = '-', false
      for page = 1, 10 do
        local entries = redis.call('XPENDING', stream, group, start, '+', 100)
        for _, entry in ipairs(entries) do
          if redis.call('HEXISTS', KEYS[4], stream .. ' ' .. entry[1]) == 0 then mark = before(entry[1]); break end
        end
        if mark then break end
        if #entries < 100 then exhausted = true; break end
        start = '(' .. entries[#entries][1]
      end
      if not mark then
        if exhausted then mark = lastDelivered() else mark = before(string.sub(start, 2)) end
      end
    end
    if not mark then return false end
    local recorded = redis.call('HGET', KEYS[2], stream)
    if recorded and less(mark, recorded) then mark = recorded end
    redis.call('HSET', KEYS[2], stream, mark)
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. score(mark))
    return mark
    """#)
}
