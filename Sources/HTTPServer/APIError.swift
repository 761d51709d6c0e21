import Hummingbird
import JSON
import NIOCore

/// An error as the contract shows it: a status and `{"error": "<code>", "message": "<text>"}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = JSONWriter.object { json in
            json.field("error", code)
            json.field("message", Self.capped(message))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// An error repeats at most this much of what it is about: never a whole hostile body back.
    public static let maxMessageLength = 300

    static func capped(_ message: String) -> String {
        message.count <= maxMessageLength ? message : message.prefix(maxMessageLength - 1) + "…"
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    public static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, "unauthorized", message, headers: [.wwwAuthenticate: "Bearer"])
    }
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }

    /// The service cannot do its work right now; the client should retry after `seconds`.
    public static func unavailable(_ code: String, _ message: String, retryAfterSeconds seconds: Int) -> APIError {
        APIError(.serviceUnavailable, code, message, headers: [.retryAfter: String(max(seconds, 1))])
    }
}
