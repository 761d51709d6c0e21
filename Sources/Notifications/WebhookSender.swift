import AsyncHTTPClient
import Backbone
import Logging
import NIOCore

/// Sends the notifications' outbox (`notify-webhook`) to `BAEDAL_NOTIFY_WEBHOOK`: a POST of the
/// message as JSON, the original event's id as `Idempotency-Key`. A failure is retried with
/// backoff by the runtime (in-process, then redelivery), and dead-lettered in the end; the inbox
/// was written before and never waits for it.
public enum WebhookSender {
    public static let name = "notification-webhook"

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    public static func policy(url: String, http: HTTPClient, timeout: Duration = .seconds(5), logger: Logger) -> Policy {
        Policy(name: name, streams: [.notifyWebhook]) { message in
            guard let body = message.string("data"), let eventId = message.string("eventId") else {
                throw MalformedEvent("an outbox entry needs 'data' and 'eventId'")
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.headers.add(name: "Idempotency-Key", value: eventId)
            request.body = .bytes(ByteBuffer(string: body))
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
                _ = try await response.body.collect(upTo: 64 * 1024)
            } catch {
                throw Failed(description: "webhook unreachable: \(error)")
            }
            guard (200..<300).contains(response.status.code) else {
                throw Failed(description: "webhook answered \(response.status.code)")
            }
            logger.debug("webhook sent", metadata: ["orderId": "\(message.string("orderId") ?? "-")", "eventId": "\(eventId)"])
            return .none
        }
    }
}
