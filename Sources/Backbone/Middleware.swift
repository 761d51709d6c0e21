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
        let buried = EventCounters(policy: deadLetter.group)
        return { next in
            { message in
                func bury(_ reason: String) -> Effects {
                    buried.count(message.string("type") ?? "-", outcome: "dead-lettered")
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
                if let target = message.string(DeadLetterStore.replayField), target != policy { return .none }
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
    /// (`baedal_event_handling_seconds{policy}`).
    public static func metrics(policy: String) -> Middleware {
        let counters = EventCounters(policy: policy)
        let timer = Timer(label: "baedal_event_handling_seconds", dimensions: [("policy", policy)])
        return { next in
            { message in
                let started = ContinuousClock.now
                let type = message.string("type") ?? "-"
                do {
                    let effects = try await next(message)
                    counters.count(type, outcome: "handled")
                    timer.recordInterval(since: started)
                    return effects
                } catch {
                    counters.count(type, outcome: "failed")
                    timer.recordInterval(since: started)
                    throw error
                }
            }
        }
    }
}

/// Counters per event type, made once per type (a lookup in the metrics factory per message
/// would cost more than the count). Types are few; unknown ones beyond 100 share one label.
final class EventCounters: Sendable {
    let policy: String
    private let counters = Mutex<[String: Counter]>([:])

    init(policy: String) {
        self.policy = policy
    }

    func count(_ type: String, outcome: String) {
        let key = type + "\u{0}" + outcome
        let counter = counters.withLock { counters -> Counter in
            if let counter = counters[key] { return counter }
            let label = counters.count < 200 ? type : "other"
            let counter = Counter(label: "baedal_events_total", dimensions: [("policy", policy), ("type", label), ("outcome", outcome)])
            counters[key] = counter
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
