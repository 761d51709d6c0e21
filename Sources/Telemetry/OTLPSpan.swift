import Synchronization
import Tracing

/// The current span's trace context inside an `InstrumentationContext` (what `inject` writes,
/// what `extract` reads, what logs carry).
public enum TraceContextKey: InstrumentationContextKey {
    public typealias Value = TraceContext
    public static var nameOverride: String? { "traceparent" }
}

extension InstrumentationContext {
    /// The trace context in this context, if any: the current span's, or a remote parent's.
    public var traceContext: TraceContext? {
        get { self[TraceContextKey.self] }
        set { self[TraceContextKey.self] = newValue }
    }
}

/// A span as it is exported once ended.
public struct FinishedSpan: Sendable {
    public var context: TraceContext
    public var parentSpanID: SpanID?
    /// The parent was read from a carrier (another process's span).
    public var parentIsRemote: Bool
    public var name: String
    public var kind: SpanKind
    public var start: UInt64
    public var end: UInt64
    public var attributes: SpanAttributes
    public var events: [SpanEvent]
    public var links: [TraceContext]
    public var status: SpanStatus?
}

/// A span of `OTLPTracer`. Unsampled spans still carry their context (so what they call
/// continues the trace with the sampled flag off) but record nothing and cost a few words.
public final class OTLPSpan: Span {
    private struct State {
        var name: String
        var attributes: SpanAttributes = [:]
        var events: [SpanEvent] = []
        var links: [TraceContext] = []
        var status: SpanStatus?
        var ended = false
    }

    public let context: InstrumentationContext
    public let traceContext: TraceContext
    private let parentSpanID: SpanID?
    private let parentIsRemote: Bool
    private let kind: SpanKind
    private let start: UInt64
    private let state: Mutex<State>
    private let sink: SpanSink?

    init(name: String, context: InstrumentationContext, traceContext: TraceContext, parentSpanID: SpanID?, parentIsRemote: Bool = false,
         kind: SpanKind, start: UInt64, sink: SpanSink?) {
        self.context = context
        self.traceContext = traceContext
        self.parentSpanID = parentSpanID
        self.parentIsRemote = parentIsRemote
        self.kind = kind
        self.start = start
        self.sink = traceContext.sampled ? sink : nil
        state = Mutex(State(name: name))
    }

    public var isRecording: Bool { sink != nil && !state.withLock(\.ended) }

    public var operationName: String {
        get { state.withLock(\.name) }
        set { if sink != nil { state.withLock { $0.name = newValue } } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock(\.attributes) }
        set { if sink != nil { state.withLock { $0.attributes = newValue } } }
    }

    public func setStatus(_ status: SpanStatus) {
        guard sink != nil else { return }
        state.withLock { state in
            // OK is final; ERROR is not overridden by a later ERROR's absence.
            if state.status?.code != .ok { state.status = status }
        }
    }

    public func addEvent(_ event: SpanEvent) {
        guard sink != nil else { return }
        state.withLock { if $0.events.count < 128 { $0.events.append(event) } }
    }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        guard sink != nil else { return }
        var attributes = attributes
        attributes["exception.type"] = "\(type(of: error))"
        attributes["exception.message"] = "\(error)"
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: attributes))
    }

    public func addLink(_ link: SpanLink) {
        guard sink != nil, let target = link.context.traceContext else { return }
        state.withLock { if $0.links.count < 128 { $0.links.append(target) } }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let sink else { return }
        let finished: FinishedSpan? = state.withLock { state in
            if state.ended { return nil }
            state.ended = true
            return FinishedSpan(context: traceContext, parentSpanID: parentSpanID, parentIsRemote: parentIsRemote, name: state.name, kind: kind, start: start,
                                end: instant().nanosecondsSinceEpoch, attributes: state.attributes, events: state.events,
                                links: state.links, status: state.status)
        }
        if let finished { sink.finished(finished) }
    }
}

/// Where ended, sampled spans go (the batching exporter).
protocol SpanSink: Sendable {
    func finished(_ span: FinishedSpan)
}
