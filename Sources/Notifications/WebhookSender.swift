import Backbone
import HTTPLite
import Logging

/// Sends the notifications' outbox (`notify-webhook`) to `BAEDAL_NOTIFY_WEBHOOK` (an `http://`
/// URL): a POST of the message as JSON, the original event's id as `Idempotency-Key`. A failure
/// is retried with backoff by the runtime (in-process, then redelivery), and dead-lettered in the
/// end; the inbox was written before and never waits for it.
public enum WebhookSender {
    public static let name = "notification-webhook"

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    public static func policy(url: String, timeout: Duration = .seconds(5), logger: Logger) -> Policy {
        Policy(name: name, streams: [.notifyWebhook]) { message in
            guard let body = message.value("data"), let eventId = message.string("eventId") else {
                throw MalformedEvent("an outbox entry needs 'data' and 'eventId'")
            }
            let response: HTTPLite.Response
            do {
                response = try await HTTPLite.send("POST", url, headers: [
                    ("Content-Type", "application/json; charset=utf-8"), ("Idempotency-Key", eventId),
                ], body: body, timeout: timeout)
            } catch {
                throw Failed(description: "webhook unreachable: \(error)")
            }
            guard (200..<300).contains(response.status) else {
                throw Failed(description: "webhook answered \(response.status)")
            }
            logger.debug("webhook sent", metadata: ["orderId": "\(message.string("orderId") ?? "-")", "eventId": "\(eventId)"])
            return .none
        }
    }
}
