import Dispatch
import Hummingbird
import Metrics
import Synchronization

/// Per-route request metrics under Prometheus's names: `http_server_requests_total` and
/// `http_server_request_duration_seconds` (a histogram) by method, route and status, and
/// `http_server_active_requests`. Metric objects are made once per (route, method, status).
public struct HTTPMetrics<Context: RequestContext>: RouterMiddleware {
    private let cache = MetricsCache()

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        cache.active.increment()
        do {
            let response = try await next(request, context)
            cache.record(route: context.endpointPath ?? "unknown", method: request.method.rawValue, status: response.status.code, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            cache.record(route: context.endpointPath ?? "unknown", method: request.method.rawValue, status: status, since: started)
            throw error
        }
    }
}

final class MetricsCache: Sendable {
    struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    let active = Meter(label: "http_server_active_requests")
    private let metrics = Mutex<[Key: (Counter, Timer)]>([:])

    func record(route: String, method: String, status: Int, since started: UInt64) {
        let key = Key(route: route, method: method, status: status)
        let (counter, timer) = metrics.withLock { metrics in
            if let known = metrics[key] { return known }
            let dimensions = [("method", method), ("route", route), ("status", String(status))]
            let made = (Counter(label: "http_server_requests_total", dimensions: dimensions),
                        Timer(label: "http_server_request_duration_seconds", dimensions: dimensions))
            metrics[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        active.decrement()
    }
}
