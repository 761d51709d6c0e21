import Contract
import Redis

/// Applies handled messages' effects and acknowledges them in one atomic script per batch.
///
/// Exactly once:
/// - The script first checks, with one `XPENDING ... consumer` per stream, that every message of
///   the batch is still pending for *this* consumer. If one is not (a stalled consumer whose
///   message was claimed meanwhile, or one acknowledged already), the script writes nothing and
///   names those messages; they are dropped and the rest is applied.
/// - Then it checks the group's `applied` set (`GroupRecords`) for the messages that have
///   effects: one found there was applied before its group was lost and made again; it is
///   acknowledged without its effects.
/// - Then it checks the type of every key (a `TYPE` probe where no read before the first write
///   has already done so), applies the writes, records the messages with effects in `applied`,
///   clears the retry book of re-delivered ones and `XACK`s the lot.
///
/// Increments of a batch are added up first (they commute); any other write keeps its place
/// relative to the increments of its own key, the only writes it could be ordered against;
/// expiries come last, one per key.
public struct EffectApplier: Sendable {
    let group: String
    let consumer: String
    let records: GroupRecords

    public init(group: String, consumer: String, keys: Keys) {
        self.group = group
        self.consumer = consumer
        self.records = GroupRecords(keys: keys, group: group)
    }

    func apply(_ outcomes: [Handled], on connection: RedisConnection) throws(RedisError) -> Applied {
        var remaining = outcomes
        var skipped: [Handled] = []
        var duplicates: [Handled] = []
        while !remaining.isEmpty {
            let (keys, arguments) = invocation(for: remaining)
            let reply = try Self.script.run(on: connection, keys: keys, arguments: arguments)
            guard let parts = reply.array, let status = parts.first?.int else {
                throw .unexpectedReply(expected: "an apply outcome", got: "\(reply)")
            }
            switch status {
            case 1:
                return Applied(acknowledged: remaining.count, skipped: skipped, duplicates: duplicates)
            case 2:
                // Applied before the group was lost: acknowledged again, without the writes.
                let seen = Set(parts.dropFirst().compactMap(\.string))
                for index in remaining.indices where seen.contains(remaining[index].id) && !remaining[index].effects.writes.isEmpty {
                    duplicates.append(remaining[index])
                    remaining[index].effects = .none
                }
            default:
                let notOwned = Set(parts.dropFirst().compactMap(\.string))
                skipped += remaining.filter { notOwned.contains($0.id) }
                remaining.removeAll { notOwned.contains($0.id) }
            }
        }
        return Applied(acknowledged: 0, skipped: skipped, duplicates: duplicates)
    }

    /// Applies effects that acknowledge nothing (a rebuild of projections into scratch keys):
    /// the same script as the runtime's, so every write is interpreted exactly as it is live.
    public static func write(_ effects: [Effects], on connection: RedisConnection) throws(RedisError) {
        let applier = EffectApplier(group: "-", consumer: "-", keys: Keys(prefix: "-"))
        let outcomes = effects.map { Handled(stream: "", id: "", effects: $0) }
        let (keys, arguments) = applier.invocation(for: outcomes, acknowledging: false)
        _ = try script.run(on: connection, keys: keys, arguments: arguments)
    }

    /// The same, through any executor, for one partition's keys (`tag`, its hash tag): the
    /// script's own record keys carry the tag too, so on a cluster the whole script is in the
    /// partition's slot.
    public static func write(_ effects: [Effects], tag: String?, on redis: any RedisExecutor) async throws {
        let applier = EffectApplier(group: "-", consumer: "-", keys: Keys(prefix: "-", tag: tag))
        let outcomes = effects.map { Handled(stream: "", id: "", effects: $0) }
        let (keys, arguments) = applier.invocation(for: outcomes, acknowledging: false)
        _ = try await redis.run(script, keys: keys, arguments: arguments)
    }

    /// Every key the script touches is in `KEYS` (a cluster routes the script by them, and a node
    /// refuses a key it does not serve); the arguments name a key by its position there.
    private func invocation(for outcomes: [Handled], acknowledging: Bool = true) -> (keys: [String], arguments: RedisCommand) {
        var keys: [String] = []
        var position: [String: Int] = [:]
        func ref(_ key: String) -> Int {
            if let known = position[key] { return known }
            keys.append(key)
            position[key] = keys.count
            return keys.count
        }
        var arguments = RedisCommand([group, consumer, String(ref(records.retryBook))])
        arguments.reserveCapacity(arguments: outcomes.count * 2 + 64, bytes: outcomes.count * 48 + 1_024)
        // The ids per stream, in stream order. A batch holds each stream's outcomes in one run
        // (that is how batches are read), so runs are grouped without hashing every id.
        var runs: [(stream: String, range: Range<Int>)] = []
        var index = acknowledging ? 0 : outcomes.count
        while index < outcomes.count {
            let stream = outcomes[index].stream
            var end = index + 1
            while end < outcomes.count && outcomes[end].stream == stream { end += 1 }
            runs.append((stream, index..<end))
            index = end
        }
        arguments.append(runs.count)
        for run in runs {
            arguments.append(ref(run.stream))
            arguments.append(ref(records.applied(run.stream)))
            arguments.append(run.range.count)
            // The script asks `XPENDING` for the range from the first id to the last: they must be
            // in stream order (a batch read from a stream is; re-deliveries need not be).
            var ids = run.range.map { outcomes[$0].id }
            if !zip(ids, ids.dropFirst()).allSatisfy({ StreamID.ascending($0, $1) }) {
                ids.sort(by: StreamID.ascending)
            }
            for id in ids { arguments.append(id) }
            let effectful = run.range.filter { !outcomes[$0].effects.writes.isEmpty }
            arguments.append(effectful.count)
            for position in effectful { arguments.append(outcomes[position].id) }
            let retried = run.range.filter { outcomes[$0].redelivered }
            arguments.append(retried.count)
            for position in retried { arguments.append(RetryBook.field(stream: run.stream, id: outcomes[position].id)) }
        }
        // The writes: runs of increments added up, other writes where they stand, then pushes to
        // a capped list merged (`ListWrites`).
        var ops = ListWrites()
        var totals = IncrementTotals()
        var expiries: [(key: String, keyType: Effects.KeyType, seconds: Int64)] = []
        var expiryOfKey: [String: Int] = [:]
        func flush() {
            for (key, field, delta) in totals.drain() where delta != 0 { ops.add(.increment(key, field, delta)) }
        }
        func add(_ op: ListWrites.Op) {
            if totals.touches(op.key) { flush() }
            ops.add(op)
        }
        for outcome in outcomes {
            for write in outcome.effects.writes {
                switch write {
                case let .increment(key, field, delta):
                    totals.add(key: key, field: field, delta: delta)
                case let .append(stream, fields):
                    add(.append(stream, fields))
                case let .add(key, member, score):
                    add(.command(key, .zset, ["ZADD", key, String(score), member]))
                case let .remove(key, member):
                    add(.command(key, .zset, ["ZREM", key, member]))
                case let .push(key, value):
                    add(.push(key, [value]))
                case let .trim(key, keep):
                    add(.trim(key, max(1, keep)))
                case let .expire(key, keyType, seconds):
                    if let position = expiryOfKey[key] {
                        expiries[position].seconds = max(expiries[position].seconds, seconds)
                    } else {
                        expiryOfKey[key] = expiries.count
                        expiries.append((key, keyType, seconds))
                    }
                }
            }
        }
        flush()
        for expiry in expiries {
            ops.add(.command(expiry.key, expiry.keyType, ["EXPIREAT", expiry.key, String(expiry.seconds)]))
        }
        var writes = RedisCommand()
        var count = 0
        func command(_ key: String, _ keyType: Effects.KeyType, _ arguments: [String]) {
            writes.append("c")
            writes.append(ref(key))
            writes.append(keyType.rawValue)
            writes.append(arguments.count)
            writes.append(contentsOf: arguments)
        }
        for op in ops.merged {
            switch op {
            case let .increment(key, field, delta):
                writes.append("i")
                writes.append(ref(key))
                writes.append(field)
                writes.append(delta)
            case let .append(stream, fields):
                writes.append("x")
                writes.append(ref(stream))
                writes.append(fields.count)
                for field in fields {
                    writes.append(field.name)
                    writes.append(bytes: field.value)
                }
            case let .command(key, keyType, arguments):
                command(key, keyType, arguments)
            case let .push(key, values):
                command(key, .list, ["LPUSH", key] + values)
            case let .trim(key, keep):
                command(key, .list, ["LTRIM", key, "0", String(keep - 1)])
            }
            count += 1
        }
        arguments.append(count)
        arguments.append(argumentsOf: writes)
        return (keys, arguments)
    }

    /// Sums of increments per (key, field), in first-seen order. A sum that would overflow is
    /// not wrapped or trapped on: the running total is kept as its own write and a new one begins,
    /// so Redis sees the same increments it would have seen one by one (and refuses the one that
    /// overflows the stored value, which the runtime then dead-letters alone).
    private struct IncrementTotals {
        private var index: [String: [String: Int]] = [:]
        private var order: [(String, String)] = []
        private var sums: [Int] = []

        mutating func add(key: String, field: String, delta: Int) {
            if let position = index[key]?[field] {
                let (sum, overflow) = sums[position].addingReportingOverflow(delta)
                if !overflow {
                    sums[position] = sum
                    return
                }
            }
            index[key, default: [:]][field] = sums.count
            order.append((key, field))
            sums.append(delta)
        }

        /// Whether increments of `key` wait to be written.
        func touches(_ key: String) -> Bool { index[key] != nil }

        mutating func drain() -> [(String, String, Int)] {
            defer { self = IncrementTotals() }
            return zip(order, sums).map { ($0.0, $0.1, $1) }
        }
    }

    static let script = RedisScript(source: #"""
    #!lua
    -- KEYS: every key touched, each once; ARGV names a key by its position in KEYS (a "ref")
    -- ARGV: group, consumer, retry book ref, stream count, then per stream: stream ref, applied
    --       set ref, id count, ids, count of ids with effects, those ids, count of retried ids,
    --       their retry book fields; then write count and the writes:
    --       i keyref field delta | x streamref nfields (name value)* | c keyref keyType nargs arg*
    local function key(a) return KEYS[tonumber(ARGV[a])] end
    local group, consumer, book = ARGV[1], ARGV[2], key(3)
    local nstreams = tonumber(ARGV[4])
    local i = 5
    local batches, missing, seen = {}, {}, {}
    for s = 1, nstreams do
      local stream, applied, n = key(i), key(i + 1), tonumber(ARGV[i + 2])
      local first, last = i + 3, i + 2 + n
      local owned = {}
      for _, entry in ipairs(redis.call('XPENDING', stream, group, ARGV[first], ARGV[last], n + 100000, consumer)) do
        owned[entry[1]] = true
      end
      for k = first, last do
        if not owned[ARGV[k]] then missing[#missing + 1] = ARGV[k] end
      end
      local m = tonumber(ARGV[last + 1])
      local efirst, elast = last + 2, last + 1 + m
      if m > 0 then
        local scores = redis.pcall('ZMSCORE', applied, unpack(ARGV, efirst, elast))
        if scores.err then return redis.error_reply('WRONGTYPE ' .. applied .. ' is not a zset') end
        for k = 1, m do
          if scores[k] then seen[#seen + 1] = ARGV[efirst + k - 1] end
        end
      end
      local r = tonumber(ARGV[elast + 1])
      batches[s] = { stream, first, last, applied, efirst, elast, elast + 2, elast + 1 + r }
      i = elast + 2 + r
    end
    if #missing > 0 then return { 0, unpack(missing) } end
    if #seen > 0 then return { 2, unpack(seen) } end
    local nwrites = tonumber(ARGV[i])
    i = i + 1
    local writes, expected = {}, {}
    local conflict
    local function expect(key, kind)
      if expected[key] and expected[key] ~= kind then conflict = 'WRONGTYPE ' .. key .. ' used as a ' .. expected[key] .. ' and as a ' .. kind end
      expected[key] = kind
    end
    for w = 1, nwrites do
      local kind = ARGV[i]
      if kind == 'i' then
        writes[w] = { 'HINCRBY', key(i + 1), i + 2, i + 3 }
        expect(key(i + 1), 'hash')
        i = i + 4
      elseif kind == 'x' then
        local n = tonumber(ARGV[i + 2])
        writes[w] = { 'XADD', key(i + 1), i + 3, i + 2 + 2 * n }
        expect(key(i + 1), 'stream')
        i = i + 3 + 2 * n
      else
        local n = tonumber(ARGV[i + 3])
        writes[w] = { false, false, i + 4, i + 3 + n }
        expect(key(i + 1), ARGV[i + 2])
        i = i + 4 + n
      end
    end
    for _, b in ipairs(batches) do
      if b[6] >= b[5] then expect(b[4], 'zset') end
      if b[8] >= b[7] then expect(book, 'hash') end
    end
    if conflict then return redis.error_reply(conflict) end
    -- A script is not rolled back when a command fails half way: every increment is checked
    -- before the first write (a field that is not an integer, a sum near the 64-bit limit). The
    -- HGET of that check fails on a key that is not a hash, before any write: such a key needs no
    -- TYPE probe, nor does an applied set that ZMSCORE has read above (issue 20).
    local proven = {}
    for _, b in ipairs(batches) do
      if b[6] >= b[5] then proven[b[4]] = true end
    end
    for _, w in ipairs(writes) do
      if w[1] == 'HINCRBY' then
        proven[w[2]] = true
        local current = redis.pcall('HGET', w[2], ARGV[w[3]])
        if type(current) == 'table' and current.err then
          return redis.error_reply('WRONGTYPE ' .. w[2] .. ' is not a hash')
        end
        if current then
          local value = tonumber(current)
          if not value or not string.match(current, '^%-?%d+$') then
            return redis.error_reply('ERR ' .. w[2] .. ' field ' .. ARGV[w[3]] .. ' is not an integer')
          end
          if math.abs(value) + math.abs(tonumber(ARGV[w[4]])) >= 4.6e18 then
            return redis.error_reply('ERR incrementing ' .. w[2] .. ' field ' .. ARGV[w[3]] .. ' would overflow')
          end
        end
      end
    end
    for key, kind in pairs(expected) do
      if not proven[key] then
        local actual = redis.call('TYPE', key).ok
        if actual ~= 'none' and actual ~= kind then
          return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. actual .. ', expected a ' .. kind)
        end
      end
    end
    for _, w in ipairs(writes) do
      if w[1] == 'HINCRBY' then
        redis.call('HINCRBY', w[2], ARGV[w[3]], ARGV[w[4]])
      elseif w[1] == 'XADD' then
        redis.call('XADD', w[2], '*', unpack(ARGV, w[3], w[4]))
      else
        redis.call(unpack(ARGV, w[3], w[4]))
      end
    end
    for _, b in ipairs(batches) do
      if b[6] >= b[5] then
        local members = {}
        for k = b[5], b[6] do
          members[#members + 1] = string.match(ARGV[k], '^(%d+)') or '0'
          members[#members + 1] = ARGV[k]
        end
        redis.call('ZADD', b[4], unpack(members))
      end
      if b[8] >= b[7] then redis.call('HDEL', book, unpack(ARGV, b[7], b[8])) end
      for from = b[2], b[3], 1000 do
        redis.call('XACK', b[1], group, unpack(ARGV, from, math.min(from + 999, b[3])))
      end
    end
    return { 1 }
    """#)
}
