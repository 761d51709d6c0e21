import Redis

/// Applies handled messages' effects and acknowledges them in one atomic script per batch.
///
/// Exactly once: for each message the script first runs `XACK`; only when that returns 1 (this
/// delivery is the one that took it off the pending list) are its writes applied. A slow consumer
/// whose message was meanwhile claimed and applied by another finds it acknowledged and writes
/// nothing. Every key is type-checked before the first write, so a bad key fails the whole
/// batch with nothing written instead of half of it.
struct EffectApplier: Sendable {
    let group: String

    struct Outcome: Sendable {
        var stream: String
        var id: String
        var effects: Effects
    }

    /// Returns how many messages this call acknowledged (the rest had been acknowledged before).
    func apply(_ outcomes: [Outcome], on connection: RedisConnection) throws(RedisError) -> Int {
        if outcomes.isEmpty { return 0 }
        var arguments: [[UInt8]] = [Array(group.utf8), Array(String(outcomes.count).utf8)]
        arguments.reserveCapacity(2 + outcomes.count * 8)
        for outcome in outcomes {
            arguments.append(Array(outcome.stream.utf8))
            arguments.append(Array(outcome.id.utf8))
            arguments.append(Array(String(outcome.effects.writes.count).utf8))
            for write in outcome.effects.writes {
                switch write {
                case let .increment(key, field, delta):
                    arguments.append(contentsOf: [[UInt8(ascii: "i")], Array(key.utf8), Array(field.utf8), Array(String(delta).utf8)])
                case let .append(stream, fields):
                    arguments.append(contentsOf: [[UInt8(ascii: "x")], Array(stream.utf8), Array(String(fields.count).utf8)])
                    for (name, value) in fields {
                        arguments.append(Array(name.utf8))
                        arguments.append(value)
                    }
                case let .command(key, keyType, command):
                    arguments.append(contentsOf: [[UInt8(ascii: "c")], Array(key.utf8), Array(keyType.utf8), Array(String(command.arguments.count).utf8)])
                    arguments.append(contentsOf: command.arguments)
                }
            }
        }
        let reply = try Self.script.run(on: connection, keys: [], arguments: arguments)
        guard let acknowledged = reply.int else { throw .unexpectedReply(expected: "a count", got: "\(reply)") }
        return acknowledged
    }

    static let script = RedisScript(name: "apply-and-ack", source: #"""
    #!lua
    -- ARGV: group, message count, then per message: stream, id, write count, and per write
    --   i key field delta | x stream nfields (name value)* | c key keyType nargs arg*
    local group = ARGV[1]
    local count = tonumber(ARGV[2])
    local messages, expected = {}, {}
    local conflict = nil
    local i = 3
    local function expect(key, kind)
      local known = expected[key]
      if known and known ~= kind then conflict = 'WRONGTYPE ' .. key .. ' used as a ' .. known .. ' and as a ' .. kind end
      expected[key] = kind
    end
    for m = 1, count do
      local message = { stream = ARGV[i], id = ARGV[i + 1], writes = {} }
      local nwrites = tonumber(ARGV[i + 2])
      i = i + 3
      for w = 1, nwrites do
        local kind = ARGV[i]
        if kind == 'i' then
          message.writes[w] = { 'i', ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]) }
          expect(ARGV[i + 1], 'hash')
          i = i + 4
        elseif kind == 'x' then
          local n = tonumber(ARGV[i + 2])
          message.writes[w] = { 'x', ARGV[i + 1], i + 3, i + 2 + 2 * n }
          expect(ARGV[i + 1], 'stream')
          i = i + 3 + 2 * n
        else
          local n = tonumber(ARGV[i + 3])
          message.writes[w] = { 'c', ARGV[i + 1], i + 4, i + 3 + n }
          expect(ARGV[i + 1], ARGV[i + 2])
          i = i + 4 + n
        end
      end
      messages[m] = message
    end
    if conflict then return redis.error_reply(conflict) end
    for key, kind in pairs(expected) do
      local actual = redis.call('TYPE', key).ok
      if actual ~= 'none' and actual ~= kind then
        return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. actual .. ', expected a ' .. kind)
      end
    end
    local totals, order = {}, {}
    local function flush()
      for _, kf in ipairs(order) do
        local delta = totals[kf[3]]
        if delta ~= 0 then redis.call('HINCRBY', kf[1], kf[2], delta) end
      end
      totals, order = {}, {}
    end
    local acknowledged = 0
    for _, message in ipairs(messages) do
      if redis.call('XACK', message.stream, group, message.id) == 1 then
        acknowledged = acknowledged + 1
        for _, w in ipairs(message.writes) do
          if w[1] == 'i' then
            local composite = w[2] .. '\0' .. w[3]
            if totals[composite] == nil then
              totals[composite] = 0
              order[#order + 1] = { w[2], w[3], composite }
            end
            totals[composite] = totals[composite] + w[4]
          elseif w[1] == 'x' then
            flush()
            redis.call('XADD', w[2], '*', unpack(ARGV, w[3], w[4]))
          else
            flush()
            redis.call(unpack(ARGV, w[3], w[4]))
          end
        end
      end
    end
    flush()
    return acknowledged
    """#)
}
