import Logging

extension StandardMiddleware {
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
}
