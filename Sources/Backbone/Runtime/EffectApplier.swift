import Redis

/// Applies handled messages' effects and acknowledges them in one atomic script per batch.
///
/// Exactly once: the script first checks, with one `XPENDING ... consumer` per stream, that every
/// message of the batch is still pending for *this* consumer. If one is not (a stalled consumer
/// whose message was claimed meanwhile, or one acknowledged already), the script writes nothing
/// and names those messages; they are dropped and the rest is applied. Otherwise it checks the
/// type of every key, applies the writes and `XACK`s the lot. Increments of a batch are added
/// up first (they commute); any other write keeps its place relative to the increments of its
/// own key, the only writes it could be ordered against; expiries come last, one per key.
public struct EffectApplier: Sendable {
    let group: String
    let consumer: String

    struct Outcome: Sendable {
        var stream: String
        var id: String
        var effects: Effects
    }

    struct Result: Sendable {
        /// Messages this call applied and acknowledged.
        var acknowledged: Int
        /// Messages no longer pending for this consumer: their writes were not applied.
        var skipped: [Outcome]
    }

    func apply(_ outcomes: [Outcome], on connection: RedisConnection) throws(RedisError) -> Result {
        var remaining = outcomes
        var skipped: [Outcome] = []
        while !remaining.isEmpty {
            let reply = try Self.script.run(on: connection, keys: [], arguments: arguments(for: remaining))
            guard let parts = reply.array, let status = parts.first?.int else {
                throw .unexpectedReply(expected: "an apply outcome", got: "\(reply)")
            }
            if status == 1 { return Result(acknowledged: remaining.count, skipped: skipped) }
            let notOwned = Set(parts.dropFirst().compactMap(\.string))
            skipped += remaining.filter { notOwned.contains($0.id) }
            remaining.removeAll { notOwned.contains($0.id) }
        }
        return Result(acknowledged: 0, skipped: skipped)
    }

    /// Applies effects that acknowledge nothing (a rebuild of projections into scratch keys):
    /// the same script as the runtime's, so every write is interpreted exactly as it is live.
    public static func write(_ effects: [Effects], on connection: RedisConnection) throws(RedisError) {
        let applier = EffectApplier(group: "-", consumer: "-")
        let outcomes = effects.map { Outcome(stream: "", id: "", effects: $0) }
        _ = try script.run(on: connection, keys: [], arguments: applier.arguments(for: outcomes, acknowledging: false))
    }

    private func arguments(for outcomes: [Outcome], acknowledging: Bool = true) -> RedisCommand {
        var arguments = RedisCommand([group, consumer])
        arguments.reserveCapacity(arguments: outcomes.count + 64, bytes: outcomes.count * 24 + 1_024)
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
            arguments.append(run.stream)
            arguments.append(run.range.count)
            // The script asks `XPENDING` for the range from the first id to the last: they must be
            // in stream order (a batch read from a stream is; re-deliveries need not be).
            var ids = run.range.map { outcomes[$0].id }
            if !zip(ids, ids.dropFirst()).allSatisfy({ StreamIDOrder.ascending($0, $1) }) {
                ids.sort(by: StreamIDOrder.ascending)
            }
            for id in ids { arguments.append(id) }
        }
        // The writes: runs of increments added up, other writes where they stand.
        var writes = RedisCommand()
        var count = 0
        var totals = IncrementTotals()
        var expiries: [(key: String, keyType: String, seconds: Int64)] = []
        var expiryOfKey: [String: Int] = [:]
        func flush() {
            for (key, field, delta) in totals.drain() where delta != 0 {
                writes.append("i")
                writes.append(key)
                writes.append(field)
                writes.append(delta)
                count += 1
            }
        }
        for outcome in outcomes {
            for write in outcome.effects.writes {
                switch write {
                case let .increment(key, field, delta):
                    totals.add(key: key, field: field, delta: delta)
                case let .append(stream, fields):
                    if totals.touches(stream) { flush() }
                    writes.append("x")
                    writes.append(stream)
                    writes.append(fields.count)
                    for field in fields {
                        writes.append(field.name)
                        writes.append(bytes: field.value)
                    }
                    count += 1
                case let .command(key, keyType, command):
                    if totals.touches(key) { flush() }
                    writes.append("c")
                    writes.append(key)
                    writes.append(keyType)
                    writes.append(command.count)
                    writes.append(argumentsOf: command)
                    count += 1
                case let .expireAt(key, keyType, seconds):
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
            writes.append("c")
            writes.append(expiry.key)
            writes.append(expiry.keyType)
            writes.append(3)
            writes.append(contentsOf: ["EXPIREAT", expiry.key, String(expiry.seconds)])
            count += 1
        }
        arguments.append(count)
        arguments.append(argumentsOf: writes)
        return arguments
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
    -- ARGV: group, consumer, stream count, then per stream: key, id count, ids;
    --       then write count and the writes:
    --       i key field delta | x stream nfields (name value)* | c key keyType nargs arg*
    local group, consumer = ARGV[1], ARGV[2]
    local nstreams = tonumber(ARGV[3])
    local i = 4
    local batches, missing = {}, {}
    for s = 1, nstreams do
      local stream, n = ARGV[i], tonumber(ARGV[i + 1])
      local first, last = i + 2, i + 1 + n
      local owned = {}
      for _, entry in ipairs(redis.call('XPENDING', stream, group, ARGV[first], ARGV[last], n + 100000, consumer)) do
        owned[entry[1]] = true
      end
      for k = first, last do
        if not owned[ARGV[k]] then missing[#missing + 1] = ARGV[k] end
      end
      batches[s] = { stream, first, last }
      i = last + 1
    end
    if #missing > 0 then return { 0, unpack(missing) } end
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
        writes[w] = { 'HINCRBY', i + 1, i + 3 }
        expect(ARGV[i + 1], 'hash')
        i = i + 4
      elseif kind == 'x' then
        local n = tonumber(ARGV[i + 2])
        writes[w] = { 'XADD', i + 1, i + 2 + 2 * n }
        expect(ARGV[i + 1], 'stream')
        i = i + 3 + 2 * n
      else
        local n = tonumber(ARGV[i + 3])
        writes[w] = { false, i + 4, i + 3 + n }
        expect(ARGV[i + 1], ARGV[i + 2])
        i = i + 4 + n
      end
    end
    if conflict then return redis.error_reply(conflict) end
    for key, kind in pairs(expected) do
      local actual = redis.call('TYPE', key).ok
      if actual ~= 'none' and actual ~= kind then
        return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. actual .. ', expected a ' .. kind)
      end
    end
    -- A script is not rolled back when a command fails half way: every increment is checked
    -- before the first write (a field that is not an integer, a sum near the 64-bit limit).
    for _, w in ipairs(writes) do
      if w[1] == 'HINCRBY' then
        local current = redis.call('HGET', ARGV[w[2]], ARGV[w[2] + 1])
        if current then
          local value = tonumber(current)
          if not value or not string.match(current, '^%-?%d+$') then
            return redis.error_reply('ERR ' .. ARGV[w[2]] .. ' field ' .. ARGV[w[2] + 1] .. ' is not an integer')
          end
          if math.abs(value) + math.abs(tonumber(ARGV[w[3]])) >= 4.6e18 then
            return redis.error_reply('ERR incrementing ' .. ARGV[w[2]] .. ' field ' .. ARGV[w[2] + 1] .. ' would overflow')
          end
        end
      end
    end
    for _, w in ipairs(writes) do
      if w[1] == 'HINCRBY' then
        redis.call('HINCRBY', ARGV[w[2]], ARGV[w[2] + 1], ARGV[w[3]])
      elseif w[1] == 'XADD' then
        redis.call('XADD', ARGV[w[2]], '*', unpack(ARGV, w[2] + 2, w[3]))
      else
        redis.call(unpack(ARGV, w[2], w[3]))
      end
    end
    for _, b in ipairs(batches) do
      for from = b[2], b[3], 1000 do
        redis.call('XACK', b[1], group, unpack(ARGV, from, math.min(from + 999, b[3])))
      end
    end
    return { 1 }
    """#)
}
