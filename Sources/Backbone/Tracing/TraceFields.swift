import Contract
import Tracing

/// The W3C trace context as stream entry fields (the contract: an entry may carry `traceparent`
/// and `tracestate`, the context of what wrote it): written from the current span into every
/// entry the platform appends, read back by the consumer that handles it. With no tracer
/// bootstrapped both are no-ops and entries carry nothing.
public enum TraceFields {
    /// The field names, in the order they are written.
    public static let names: Set<String> = ["traceparent", "tracestate"]

    /// The current span's context as fields, or none (no span, or tracing off).
    public static func current() -> [StreamField] {
        guard ActiveTracer.isOn, let context = InstrumentationContext.current else { return [] }
        return of(context)
    }

    /// `context` as fields, or none.
    public static func of(_ context: InstrumentationContext) -> [StreamField] {
        guard ActiveTracer.isOn else { return [] }
        var fields: [StreamField] = []
        ActiveTracer.tracer.inject(context, into: &fields, using: Injector())
        return fields
    }

    /// The producer's context carried by an entry (none when it carries none, or nothing valid).
    public static func context(of message: StreamMessage) -> InstrumentationContext? {
        guard ActiveTracer.isOn, message.value("traceparent") != nil else { return nil }
        var context = InstrumentationContext.topLevel
        ActiveTracer.tracer.extract(message.fields, into: &context, using: Extractor())
        return context
    }

    /// `fields` with their trace context replaced by `trace` (an entry says who wrote it last).
    public static func stamped(_ fields: [StreamField], with trace: [StreamField]) -> [StreamField] {
        guard !trace.isEmpty else { return fields }
        return fields.filter { !names.contains($0.name) } + trace
    }

    struct Injector: Tracing.Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [StreamField]) {
            carrier.append(StreamField(key, value))
        }
    }

    struct Extractor: Tracing.Extractor {
        func extract(key: String, from carrier: [StreamField]) -> String? {
            // At most 512 bytes: a longer value is no valid traceparent or tracestate.
            guard let value = carrier.first(where: { $0.name == key })?.value, value.count <= 512 else { return nil }
            return String(validating: value, as: UTF8.self)
        }
    }
}
