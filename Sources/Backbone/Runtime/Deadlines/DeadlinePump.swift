import Contract
import Logging
import Metrics
import Redis
import Tracing
import ServiceLifecycle
import Synchronization

/// The runtime's durable timers: a sorted set of timers (`<kind>:<id>` scored by when each
/// comes due, ms) set and cleared by the commits that own them, and this pump, which moves every
/// timer that came due to a stream (`DeadlineDue`, `orderId` the id, `data` `{"orderId",
/// "deadline","due"}`) in one script: the `XADD` and the `ZREM` together, so a timer is told
/// exactly once however many pumps run (every instance of a policy that acts on deadlines runs
/// one per partition) and whatever crashes. From the stream, the consumer groups deliver it with
/// every guarantee they give any entry: redelivered after a crash, retried, dead-lettered.
///
/// A pump wakes when the next timer is due, and at least every `poll` (a timer set meanwhile by
/// another process is seen by then). Its gauges: `baedal_deadlines_waiting` (timers not yet
/// due) and `baedal_deadline_lateness_seconds` (how late the most overdue one is: 0 unless the
/// pump falls behind or no pump runs).
public final class DeadlinePump: Service, Sendable {
    public let timers: String
    public let stream: String
    private let client: RedisClient
    private let now: EpochClock
    private let poll: Duration
    private let batch: Int
    private let logger: Logger
    private let waiting: Gauge
    private let lateness: Gauge
    private let fired: Counter
    /// When the last pass saw the next timer due (0: not known), so that a span is begun only
    /// for a pass that expects to tell something.
    private let expectedDue = Atomic<Int64>(0)

    /// What one pass did.
    public struct Pass: Sendable, Hashable {
        /// Timers moved to the stream.
        public var moved: Int
        /// Timers left in the set.
        public var waiting: Int
        /// When the earliest left comes due (ms), if any.
        public var nextDue: Int64?
        /// Due members that named no deadline (`<kind>:<id>`, written by hand): removed, not told.
        public var malformed = 0
    }

    public init(timers: String, stream: String, redis: RedisConfiguration, now: @escaping EpochClock = epochMilliseconds,
                poll: Duration = .seconds(1), batch: Int = 100, partition: Int = 0, logger: Logger) {
        self.timers = timers
        self.stream = stream
        client = RedisClient(configuration: redis.pinned(toKey: timers), label: "deadlines", logger: logger)
        self.now = now
        self.poll = poll
        self.batch = max(1, batch)
        self.logger = logger
        let dimensions = [("partition", String(partition))]
        waiting = Gauge(label: "baedal_deadlines_waiting", dimensions: dimensions)
        lateness = Gauge(label: "baedal_deadline_lateness_seconds", dimensions: dimensions)
        fired = Counter(label: "baedal_deadlines_fired_total", dimensions: dimensions)
    }

    /// Moves what is due now (at most `batch`).
    public func pass() async throws -> Pass {
        let at = now()
        // The deadlines told in one pass begin a trace (a `PRODUCER` span): their entries carry
        // its context. A span is begun only for a pass that expects something due (the last pass
        // saw the next one due by now, or saw nothing yet), not for every poll of an idle pump; a
        // timer set meanwhile to come due before the one seen is told without a context (its
        // consumers then begin a trace of their own).
        let span: (any Span)? = ActiveTracer.isOn && at >= expectedDue.load(ordering: .relaxed)
            ? ActiveTracer.tracer.startSpan("deadlines \(stream)", context: .topLevel, ofKind: .producer) : nil
        var arguments = RedisCommand([String(at), String(batch)])
        for field in span.map({ TraceFields.of($0.context) }) ?? [] {
            arguments.append(field.name)
            arguments.append(bytes: field.value)
        }
        let pass: Pass
        do {
            let reply = try await client.withConnection { [timers, stream, arguments] connection throws(RedisError) in
                try Self.script.run(on: connection, keys: [timers, stream], arguments: arguments)
            }
            guard let parts = reply.array, parts.count >= 3, let moved = parts[0].int, let left = parts[1].int else {
                throw RedisError.unexpectedReply(expected: "a deadline pass", got: "\(reply)")
            }
            pass = Pass(moved: moved, waiting: left, nextDue: parts[2].milliseconds, malformed: parts.count > 3 ? max(0, parts[3].int ?? 0) : 0)
        } catch {
            span?.recordError(error)
            span?.setStatus(SpanStatus(code: .error, message: "the pass failed"))
            span?.end()
            expectedDue.store(0, ordering: .relaxed)
            throw error
        }
        let nextDue = pass.nextDue
        expectedDue.store(nextDue ?? Int64.max, ordering: .relaxed)
        waiting.record(pass.waiting)
        if pass.moved > 0 { fired.increment(by: pass.moved) }
        if let span {
            span.attributes["messaging.system"] = "redis"
            span.attributes["messaging.destination.name"] = stream
            span.attributes["messaging.batch.message_count"] = pass.moved
            span.end()
        }
        // Still overdue after the pass: more were due than one pass moves.
        let late = nextDue.map { at > $0 ? Double(at) / 1_000 - Double($0) / 1_000 : 0 } ?? 0
        lateness.record(late)
        return pass
    }

    public func run() async throws {
        var failing = false
        var lastPass = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var pause = poll
            do {
                let pass = try await pass()
                lastPass = .now
                if failing {
                    logger.notice("deadlines: moving again", metadata: ["timers": "\(timers)"])
                    failing = false
                }
                if pass.moved > 0 {
                    logger.debug("deadlines came due", metadata: ["count": "\(pass.moved)", "waiting": "\(pass.waiting)"])
                }
                if pass.malformed > 0 {
                    logger.warning("deadlines: removed due members that name no deadline (<kind>:<id>), written by hand", metadata: [
                        "timers": "\(timers)", "count": "\(pass.malformed)",
                    ])
                }
                if pass.moved >= batch {
                    pause = .zero
                } else if let next = pass.nextDue {
                    let (wait, overflow) = next.subtractingReportingOverflow(now())
                    if !overflow { pause = min(poll, .milliseconds(max(0, wait))) }
                }
            } catch {
                // Nothing is told while passes fail: the lateness gauge says for how long.
                let (seconds, attoseconds) = (ContinuousClock.now - lastPass).components
                lateness.record(Double(seconds) + Double(attoseconds) / 1e18)
                if !failing {
                    logger.warning("deadlines: cannot move due ones, trying again every \(poll)", metadata: ["timers": "\(timers)", "error": "\(error)"])
                    failing = true
                }
            }
            if pause > .zero {
                try? await cancelWhenGracefulShutdown { [pause] in try await Task.sleep(for: pause) }
            }
        }
        client.close()
    }

    /// Moves due timers to the stream, each `XADD` with its `ZREM`. No `TYPE` probes: the
    /// `ZRANGEBYSCORE` fails on a key of another type before anything is written, and so does the
    /// first `XADD` (the first write) on a stream key of another type. A member that is not
    /// `<kind>:<id>` (a lower-case word, an id without `:`), written by hand, is removed without
    /// being told, and counted; a score that is not a finite number of ms is told as 0.
    static let script = RedisScript(source: #"""
    #!lua
    -- KEYS: the timers (sorted set), the stream; ARGV: now (ms), at most how many to move, then
    --       the trace context's (field value)* for the entries
    -- returns { moved, left, score of the next (or ''), malformed members removed }
    local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
    local moved, malformed = 0, 0
    for i = 1, #due, 2 do
      local member, score = due[i], tonumber(due[i + 1]) or 0
      if score ~= score or score < 0 then score = 0 elseif score > 9e15 then score = 9e15 end
      local kind, id = string.match(member, '^([a-z]+):([^:]+)$')
      if id then
        local data = '{"orderId":' .. cjson.encode(id) .. ',"deadline":' .. cjson.encode(kind) .. ',"due":' .. string.format('%.0f', score) .. '}'
        redis.call('XADD', KEYS[2], '*', 'type', 'DeadlineDue', 'orderId', id, 'at', ARGV[1], 'data', data, unpack(ARGV, 3))
        moved = moved + 1
      else
        malformed = malformed + 1
      end
      redis.call('ZREM', KEYS[1], member)
    end
    local nextOne = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return { moved, redis.call('ZCARD', KEYS[1]), nextOne[2] or '', malformed }
    """#)
}
