import Tracing

/// Baedal's tracer: W3C trace context in and out (`traceparent`, `tracestate`), spans sampled by
/// `Sampler`, and ended sampled spans handed to the batching OTLP/HTTP exporter
/// (`SpanExporter`). It is swift-distributed-tracing's `Tracer`, so Hummingbird's
/// `TracingMiddleware` and every `withSpan` in the code use it once it is bootstrapped.
public struct OTLPTracer: Tracer {
    public let sampler: Sampler
    let exporter: SpanExporter

    init(sampler: Sampler, exporter: SpanExporter) {
        self.sampler = sampler
        self.exporter = exporter
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> OTLPSpan {
        var context = context()
        let parent = context.traceContext
        let traceID = parent?.traceID ?? TraceID.random()
        let own = TraceContext(traceID: traceID, spanID: SpanID.random(), sampled: sampler.sample(traceID, parent: parent), state: parent?.state)
        context.traceContext = own
        return OTLPSpan(name: operationName, context: context, traceContext: own, parentSpanID: parent?.spanID,
                        parentIsRemote: parent?.isRemote ?? false, kind: kind,
                        start: instant().nanosecondsSinceEpoch, sink: exporter)
    }

    public func forceFlush() {
        exporter.requestFlush()
    }

    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
        where Extract.Carrier == Carrier {
        guard let parent = extractor.extract(key: "traceparent", from: carrier),
              let trace = TraceContext(traceparent: parent, tracestate: extractor.extract(key: "tracestate", from: carrier)) else { return }
        context.traceContext = trace
    }

    public func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
        where Inject.Carrier == Carrier {
        guard let trace = context.traceContext else { return }
        injector.inject(trace.traceparent, forKey: "traceparent", into: &carrier)
        if let state = trace.state { injector.inject(state, forKey: "tracestate", into: &carrier) }
    }
}
