import Hummingbird
import NIOCore
import Redis

/// Turns every error a route throws into the contract's error body: an `APIError` (or any
/// `HTTPResponseError`) as it is, an unreachable Redis as 503, a Redis user refused what it needs
/// (`NOPERM`) as a 500 logged at critical as a configuration error, the framework's own refusals
/// with their status, anything else as a logged 500. A service maps its domain's errors to `APIError`
/// in a middleware inside this one (the API's `DomainErrors`).
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "the body is over \(BaedalContext.maxBodyBytes / 1024) KiB")
        } catch let error as RedisError where error.serverCode == "NOPERM" {
            // The daemon's Redis user may not do what it needs: no retry fixes that, an operator must.
            context.logger.critical("configuration error: the Redis user is refused a command or key it needs (NOPERM); fix its ACL rules (ops/redis/users.acl)",
                                    metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, "internal", "the service is misconfigured (its store refused it); it has been logged")
        } catch let error as RedisError where error.mayHaveWritten && !error.isConnectionProblem {
            // Written on the primary, not yet on enough replicas: not promised; a retry is safe.
            context.logger.warning("write not confirmed by the replicas", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError.unavailable("not_replicated", "\(error); retry with the same Idempotency-Key shortly", retryAfterSeconds: 1)
        } catch let error as RedisError where error.isConnectionProblem || error.isPassing {
            // Unreachable, failing over, or a cluster slot failing over or moving: nothing was done.
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
