import Hummingbird
import Synchronization

/// A known path asked with a method it does not serve is `405 Method Not Allowed` with an
/// `Allow` header listing the methods it does serve, not a 404 (RFC 9110 §15.5.6). `HEAD` is
/// served wherever `GET` is (the router generates it).
public struct AllowedMethods<Context: RequestContext>: RouterMiddleware {
    let table: RouteTable

    public init(table: RouteTable) {
        self.table = table
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here; allowed: \(allowed.joined(separator: ", "))",
                           headers: [.allow: allowed.joined(separator: ", ")])
        }
    }
}
