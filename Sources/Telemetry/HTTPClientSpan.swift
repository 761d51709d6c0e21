import Tracing

/// A CLIENT span around one outgoing HTTP request (the gateway, the webhook), after
/// OpenTelemetry's HTTP conventions, and the headers that carry it to the server (`traceparent`,
/// `tracestate`). With no tracer both are no-ops and no header is added.
public struct HTTPClientSpan: Sendable {
    public let span: any Span
    /// What to add to the request's headers.
    public let headers: [(String, String)]

    /// `route` is the low-cardinality path (`/payments/{paymentId}/cancel`), `url` the full one.
    public init(method: String, route: String, url: String) {
        span = startSpan("\(method) \(route)", ofKind: .client)
        var headers: [(String, String)] = []
        InstrumentationSystem.instrument.inject(span.context, into: &headers, using: HeaderInjector())
        self.headers = headers
        guard span.isRecording else { return }
        span.updateAttributes { attributes in
            attributes["http.request.method"] = method
            attributes["url.full"] = url
            attributes["url.template"] = route
        }
    }

    /// Ends the span with the answer's status (4xx and 5xx are errors).
    public func finish(status: Int) {
        if span.isRecording {
            span.attributes["http.response.status_code"] = status
            if status >= 400 { span.setStatus(SpanStatus(code: .error, message: "answered \(status)")) }
        }
        span.end()
    }

    /// Ends the span with the failure (no answer).
    public func finish(error: any Error) {
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: "\(error)"))
        span.end()
    }

    struct HeaderInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [(String, String)]) {
            carrier.append((key, value))
        }
    }
}
