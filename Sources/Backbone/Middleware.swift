import Logging
import Metrics

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
        { next in
            { message in
                func bury(_ reason: String) -> Effects {
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

    /// Counts handled and failed messages per policy (`baedal_messages_total{policy,outcome}`).
    public static func metrics(policy: String) -> Middleware {
        let handled = Counter(label: "baedal_messages_total", dimensions: [("policy", policy), ("outcome", "handled")])
        let failed = Counter(label: "baedal_messages_total", dimensions: [("policy", policy), ("outcome", "failed")])
        return { next in
            { message in
                do {
                    let effects = try await next(message)
                    handled.increment()
                    return effects
                } catch {
                    failed.increment()
                    throw error
                }
            }
        }
    }
}
