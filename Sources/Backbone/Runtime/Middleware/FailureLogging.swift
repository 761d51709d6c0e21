import Contract
import Logging

extension StandardMiddleware {
    /// One log line per failure, with the order id and when the message is delivered again
    /// (`schedule`); successes only at debug level.
    public static func logging(_ logger: Logger, schedule: RetrySchedule = RetrySchedule()) -> Middleware {
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
                    logger.warning("handling failed; the message stays pending and is delivered again later", metadata: [
                        "orderId": "\(message.string("orderId") ?? "-")", "stream": "\(message.stream)", "id": "\(message.id)",
                        "deliveries": "\(message.deliveries)", "retryInMs": "\(schedule.delay(afterDelivery: message.deliveries))",
                        "error": "\(error)",
                    ])
                    throw error
                }
            }
        }
    }
}
