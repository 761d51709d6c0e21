import Backbone
import Hummingbird
import Identity
import NIOCore
import Orders
import Payments
import Redis
import Stores

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
    public static let unauthorized = APIError(.unauthorized, "unauthorized", TokenError.missing.description,
                                              headers: [.wwwAuthenticate: "Bearer"])
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }

    /// The service cannot do its work right now; the client should retry after `seconds`.
    public static func unavailable(_ code: String, _ message: String, retryAfterSeconds seconds: Int) -> APIError {
        APIError(.serviceUnavailable, code, message, headers: [.retryAfter: String(max(seconds, 1))])
    }
}

extension APIError {
    /// The domain's refusals, each with its status and a stable code.
    public init(_ error: OrderError) {
        let message = error.description
        switch error {
        case .noItems, .tooManyLines, .missingField: self.init(.badRequest, "bad_request", message)
        case .amountTooLarge: self.init(.unprocessableContent, "amount_too_large", message)
        case .unknownFood: self.init(.unprocessableContent, "unknown_food", message)
        case .quantityOutOfRange: self.init(.unprocessableContent, "invalid_quantity", message)
        case .storeNotFound: self.init(.notFound, "unknown_store", message)
        case .orderNotFound: self.init(.notFound, "unknown_order", message)
        case .wrongRole, .notYourOrder, .notYourStore, .notYourDelivery: self.init(.forbidden, "forbidden", message)
        case .cannotCancelAfterCookingStarted: self.init(.conflict, "cannot_cancel_after_cooking_started", message)
        case .alreadyPicked: self.init(.conflict, "already_picked", message)
        case .invalidTransition: self.init(.conflict, "invalid_transition", message)
        case .contended: self = .unavailable("busy", message, retryAfterSeconds: 1)
        }
    }

    public init(_ error: StoreError) {
        switch error {
        case .invalid(let problem): self.init(.badRequest, "bad_request", problem)
        case .notFound: self.init(.notFound, "unknown_store", error.description)
        }
    }

    public init(_ error: TokenError) {
        var unauthorized = APIError.unauthorized
        unauthorized.message = error.description
        self = unauthorized
    }
}

/// Turns every error a route throws into the contract's error body: typed domain errors by
/// their meaning, an unreachable Redis as 503, anything else as a logged 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as OrderError {
            throw APIError(error)
        } catch let error as StoreError {
            throw APIError(error)
        } catch let error as TokenError {
            throw APIError(error)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "the body is over \(BaedalContext.maxBodyBytes / 1024) KiB")
        } catch let error as RedisError where error.isConnectionProblem {
            context.logger.error("redis unavailable", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError.unavailable("unavailable", "the backbone is unreachable; try again shortly", retryAfterSeconds: 1)
        } catch let error as HTTPError {
            let code = switch error.status {
            case .notFound: "not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .contentTooLarge: "body_too_large"
            case .badRequest: "bad_request"
            default: "error"
            }
            throw APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, "internal", "the request failed; it has been logged")
        }
    }
}
