import Hummingbird
import Synchronization

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
