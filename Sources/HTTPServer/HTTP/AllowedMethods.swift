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

/// The router's routes as path patterns and methods, filled once every route is added (the
/// middleware that reads it is added before them).
public final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<String>)]>([])

    public init() {}

    public func load<Context>(from router: Router<Context>) {
        var methods: [String: Set<String>] = [:]
        for route in router.routes {
            methods[route.path.description, default: []].insert(route.method.rawValue)
        }
        let table = methods.map { path, methods in
            (path.split(separator: "/"), methods.contains("GET") ? methods.union(["HEAD"]) : methods)
        }
        routes.withLock { $0 = table }
    }

    /// The methods served on `path`, sorted; empty when no route has its shape.
    public func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let matching = routes.withLock { routes in routes.filter { Self.matches($0.segments, segments) }.map(\.methods) }
        return matching.reduce(into: Set<String>()) { $0.formUnion($1) }.sorted()
    }

    static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        guard pattern.count == path.count else { return false }
        return zip(pattern, path).allSatisfy { expected, actual in (expected.hasPrefix("{") && expected.hasSuffix("}")) || expected == actual }
    }
}
