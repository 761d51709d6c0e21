import Contract
import Logging

/// Where the notifications' outbox goes: a receiver that takes a message's JSON with an
/// idempotency key (an `http://` URL in production, `HTTPLiteWebhook`).
public protocol Webhook: Sendable {
    /// Delivers the body; throws when the receiver did not take it (it is retried).
    func post(_ body: [UInt8], idempotencyKey: String) async throws
}

/// Sends the notifications' outbox (`notify-webhook`) to the webhook: the message as JSON, the
/// original event's id as `Idempotency-Key`. A failure is retried with backoff by the runtime
/// (in-process, then redelivery), and dead-lettered in the end; the inbox was written before
/// and never waits for it.
public enum WebhookSender {
    public static let name = "notification-webhook"

    public static func policy(webhook: any Webhook, logger: Logger) -> Policy {
        Policy(name: name, streams: [.notifyWebhook]) { message in
            guard let body = message.value("data"), let eventId = message.string("eventId") else {
                throw MalformedEvent("an outbox entry needs 'data' and 'eventId'")
            }
            try await webhook.post(body, idempotencyKey: eventId)
            logger.debug("webhook sent", metadata: ["orderId": "\(message.string("orderId") ?? "-")", "eventId": "\(eventId)"])
            return .none
        }
    }
}
