import Logging
import Testing
import Tracing
@testable import Telemetry

/// The tracer without a collector: contexts in and out, parents, sampling, the bounded queue.
@Suite("The OTLP tracer")
struct TracerTests {
    struct Injector: Tracing.Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }

    struct Extractor: Tracing.Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }

    func tracer(_ sampler: Sampler = Sampler(), maxQueue: Int = 16) -> OTLPTracer {
        let settings = TracingSettings(endpoint: "http://127.0.0.1:1/v1/traces", headers: [], timeout: .seconds(1), sampler: sampler,
                                       resource: [("service.name", "test")], delay: .seconds(60), maxQueue: maxQueue, maxBatch: maxQueue)
        return OTLPTracer(sampler: sampler, exporter: SpanExporter(settings: settings, logger: Logger(label: "test")))
    }

    @Test func aSpanContinuesTheContextItWasGivenAndPassesItsOwnOn() throws {
        let tracer = tracer()
        var context = InstrumentationContext.topLevel
        tracer.extract(["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "a=b"], into: &context, using: Extractor())
        let span = tracer.startSpan("process", context: context, ofKind: .consumer)
        let own = try #require(span.context.traceContext)
        #expect(own.traceID.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(own.spanID.hex != "00f067aa0ba902b7")
        var headers: [String: String] = [:]
        tracer.inject(span.context, into: &headers, using: Injector())
        #expect(headers["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(own.spanID.hex)-01")
        #expect(headers["tracestate"] == "a=b")
        let child = tracer.startSpan("apply", context: span.context)
        #expect(child.context.traceContext?.traceID == own.traceID)
        span.end()
        child.end()
        #expect(tracer.exporter.queued == 2)
    }

    @Test func anInvalidIncomingContextStartsANewTrace() {
        let tracer = tracer()
        var context = InstrumentationContext.topLevel
        tracer.extract(["traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"], into: &context, using: Extractor())
        #expect(context.traceContext == nil)
        #expect(tracer.startSpan("root", context: context).context.traceContext != nil)
    }

    @Test func anUnsampledSpanRecordsNothingButPassesItsContextOn() {
        let tracer = tracer(Sampler(root: .alwaysOff))
        let span = tracer.startSpan("root", context: .topLevel)
        #expect(!span.isRecording)
        span.attributes["ignored"] = "yes"
        var headers: [String: String] = [:]
        tracer.inject(span.context, into: &headers, using: Injector())
        #expect(headers["traceparent"]?.hasSuffix("-00") == true)
        span.end()
        #expect(tracer.exporter.queued == 0)
    }

    @Test func aFullQueueDropsSpansInsteadOfWaiting() {
        let tracer = tracer(maxQueue: 4)
        for _ in 0..<10 { tracer.startSpan("s", context: .topLevel).end() }
        #expect(tracer.exporter.queued == 4)
    }

    @Test func aSpanEndsOnce() {
        let tracer = tracer()
        let span = tracer.startSpan("s", context: .topLevel)
        span.end()
        span.end()
        #expect(tracer.exporter.queued == 1)
    }

    @Test func theProtobufWritersVarintsAreTheWireFormats() {
        var writer = ProtobufWriter()
        writer.varint(300)
        #expect(writer.bytes == [0xAC, 0x02])
        var negative = ProtobufWriter()
        negative.varint(1, UInt64(bitPattern: -1))
        #expect(negative.bytes.count == 11)
    }
}
