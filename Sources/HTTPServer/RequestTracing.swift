import Hummingbird
import Tracing

/// Server spans: Hummingbird's `TracingMiddleware` (a request's `traceparent` continued, or a
/// trace begun; one SERVER span per request, named by its route) when the process bootstrapped
/// a tracer, outermost so that every other middleware's log lines carry the trace. Without a
/// tracer, nothing is added.
public enum RequestTracing {
    public static func add<Context: RequestContext>(to router: Router<Context>) {
        guard !(InstrumentationSystem.tracer is NoOpTracer) else { return }
        router.add(middleware: TracingMiddleware<Context>())
    }
}
