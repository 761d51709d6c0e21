import Logging
import Metrics
import Synchronization

/// The standard middleware every policy runs under, outermost first.
public enum StandardMiddleware {
    /// Retries a failing handler a few times in-process before leaving the message pending
    /// (then it is redelivered after the claim time). Malformed events are not retried.
    public static func retry(attempts: Int = 3, initialBackoffMilliseconds: Int = 20) -> Middleware {
        { next in
            { message in
                var backoff = initialBackoffMilliseconds
                for _ in 1..<max(attempts, 1) {
                    do {
                        return try await next(message)
                    } catch let error as MalformedEvent {
                        throw error
                    } catch {
                        try await Task.sleep(for: .milliseconds(backoff))
                        backoff *= 2
                    }
                }
                return try await next(message)  // the last attempt: its error is the answer
            }
        }
    }

    /// Turns a message that cannot be handled into a dead letter: at once when it is malformed,
    /// and on its `maxDeliveries`-th failed delivery otherwise. A message already delivered more
    /// than `maxDeliveries` times (its handler kept crashing the process) is not handled again.
    public static func deadLetter(_ deadLetter: DeadLetter, maxDeliveries: Int, logger: Logger) -> Middleware {
        let buried = EventCounters(policy: deadLetter.group, outcome: "dead-lettered")
        return { next in
            { message in
                func bury(_ reason: String) -> Effects {
                    buried.count(message)
                    logger.error("dead-lettered", metadata: [
                        "orderId": "\(message.string("orderId") ?? "-")", "stream": "\(message.stream)", "id": "\(message.id)",
                        "deliveries": "\(message.deliveries)", "reason": "\(reason)",
                    ])
                    return deadLetter.effects(for: message, reason: reason)
                }
                if message.deliveries > maxDeliveries {
                    return bury("delivered \(message.deliveries) times without being acknowledged (max \(maxDeliveries))")
                }
                do {
                    return try await next(message)
                } catch let error as MalformedEvent {
                    return bury(error.description)
                } catch {
                    if message.deliveries >= maxDeliveries {
                        return bury("failed on delivery \(message.deliveries) of \(maxDeliveries): \(error)")
                    }
                    throw error
                }
            }
        }
    }

    /// A dead letter replayed by `baedalctl dead replay` goes back on its stream marked
    /// `replayFor=<group>`: only that group handles it, every other group only acknowledges it,
    /// so a replay never counts twice for the policies that had handled it already.
    public static func replayedOnlyFor(_ policy: String) -> Middleware {
        { next in
            { message in
                if let target = message.fields.first(where: { $0.name == DeadLetterStore.replayField })?.value,
                   !target.elementsEqual(policy.utf8) { return .none }
                return try await next(message)
            }
        }
    }

    /// One log line per failure, with the order id; successes only at debug level.
    public static func logging(_ logger: Logger) -> Middleware {
        { next in
            { message in
                do {
                    let effects = try await next(message)
                    if logger.logLevel <= .debug {
                        logger.debug("handled", metadata: [
                            "orderId": "\(message.string("orderId") ?? "-")", "type": "\(message.string("type") ?? "-")",
                            "id": "\(message.id)", "writes": "\(effects.writes.count)",
                        ])
                    }
                    return effects
                } catch {
                    logger.warning("handling failed; the message stays pending and will be redelivered", metadata: [
                        "orderId": "\(message.string("orderId") ?? "-")", "stream": "\(message.stream)", "id": "\(message.id)",
                        "deliveries": "\(message.deliveries)", "error": "\(error)",
                    ])
                    throw error
                }
            }
        }
    }

    /// Counts handled and failed messages per policy and event type
    /// (`baedal_events_total{policy,type,outcome}`) and times each handling
    /// (`baedal_event_handling_seconds{policy}`). Nothing is allocated per message.
    public static func metrics(policy: String) -> Middleware {
        let handled = EventCounters(policy: policy, outcome: "handled")
        let failed = EventCounters(policy: policy, outcome: "failed")
        let timer = Timer(label: "baedal_event_handling_seconds", dimensions: [("policy", policy)])
        return { next in
            { message in
                let started = ContinuousClock.now
                do {
                    let effects = try await next(message)
                    handled.count(message)
                    timer.recordInterval(since: started)
                    return effects
                } catch {
                    failed.count(message)
                    timer.recordInterval(since: started)
                    throw error
                }
            }
        }
    }
}

/// Counters of one outcome per event type, made once per type: a type's counter is found by
/// comparing the entry's `type` bytes, so counting allocates nothing. Types beyond 100 share
/// the label `other`.
final class EventCounters: Sendable {
    let policy: String
    let outcome: String
    private let counters = Mutex<[(type: [UInt8], counter: Counter)]>([])

    init(policy: String, outcome: String) {
        self.policy = policy
        self.outcome = outcome
    }

    func count(_ message: StreamMessage) {
        guard let type = message.fields.first(where: { $0.name == "type" })?.value else { return count(Array("-".utf8)) }
        count(type)
    }

    func count(_ type: [UInt8]) {
        let counter = counters.withLock { counters -> Counter in
            if let known = counters.first(where: { $0.type == type }) { return known.counter }
            let label = counters.count < 100 ? String(decoding: type, as: UTF8.self) : "other"
            let counter = Counter(label: "baedal_events_total", dimensions: [("policy", policy), ("type", label), ("outcome", outcome)])
            counters.append((type, counter))
            return counter
        }
        counter.increment()
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

}
