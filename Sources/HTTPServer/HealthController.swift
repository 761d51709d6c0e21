import Daemon
import Hummingbird
import JSON
import Prometheus

/// `GET /health/live` (the process answers), `GET /health/ready` (Redis answers, so requests
/// can be served) and `GET /metrics` (Prometheus text, loopback callers only).
public struct HealthController: Sendable {
    let health: RedisHealth
    let registry: PrometheusCollectorRegistry
    /// Extra lines for the readiness body, e.g. the payment circuit's state.
    let details: @Sendable () -> [(String, String)]

    public init(health: RedisHealth, registry: PrometheusCollectorRegistry, details: @escaping @Sendable () -> [(String, String)] = { [] }) {
        self.health = health
        self.registry = registry
        self.details = details
    }

    public func addRoutes(to router: Router<BaedalContext>) {
        router.get("/health/live") { _, _ in JSONBody.response(#"{"status":"live"}"#) }
        router.get("/health/ready") { _, _ in
            let ready = health.isReachable
            let body = JSONWriter.object { json in
                json.field("status", ready ? "ready" : "unavailable")
                json.field("redis", ready ? "reachable" : "unreachable")
                for (name, value) in details() { json.field(name, value) }
            }
            return JSONBody.response(body, status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, context in
            if let address = context.remoteAddress, !Self.isLoopback(address.ipAddress) {
                throw APIError.forbidden("metrics are served to loopback callers only")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(bytes: registry.emitToBuffer())))
        }
    }

    public static func isLoopback(_ address: String?) -> Bool {
        guard let address else { return true }  // a Unix socket or the test client
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
