import Contract
import Logging

extension StandardMiddleware {
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
}
