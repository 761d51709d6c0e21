import HTTPLite
import Notifications
import Telemetry

/// The webhook over `HTTPLite` (an `http://` URL: the lean worker has no TLS; put a local proxy
/// in front of an `https://` receiver): a POST of the message as JSON with its idempotency key.
struct HTTPLiteWebhook: Webhook {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    let url: String
    var timeout: Duration = .seconds(5)

    func post(_ body: [UInt8], idempotencyKey: String) async throws {
        let response: HTTPLite.Response
        // The receiver gets the message's trace (`traceparent`) with it.
        let span = HTTPClientSpan(method: "POST", route: "webhook", url: url)
        do {
            response = try await HTTPLite.send("POST", url, headers: [
                ("Content-Type", "application/json; charset=utf-8"), ("Idempotency-Key", idempotencyKey),
            ] + span.headers, body: body, timeout: timeout)
            span.finish(status: response.status)
        } catch {
            span.finish(error: error)
            throw Failed(description: "webhook unreachable: \(error)")
        }
        guard (200..<300).contains(response.status) else { throw Failed(description: "webhook answered \(response.status)") }
    }
}
