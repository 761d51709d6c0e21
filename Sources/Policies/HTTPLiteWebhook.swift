import HTTPLite
import Notifications

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
        do {
            response = try await HTTPLite.send("POST", url, headers: [
                ("Content-Type", "application/json; charset=utf-8"), ("Idempotency-Key", idempotencyKey),
            ], body: body, timeout: timeout)
        } catch {
            throw Failed(description: "webhook unreachable: \(error)")
        }
        guard (200..<300).contains(response.status) else { throw Failed(description: "webhook answered \(response.status)") }
    }
}
