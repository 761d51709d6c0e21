import Glibc
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

    @Test func aCollectorThatNeverAnswersHoldsAnExportRoundNoLongerThanItsTimeout() async throws {
        // A listening socket nobody accepts on: connections queue, requests are never answered.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        #expect(listen(listener, 16) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let settings = TracingSettings(endpoint: "http://127.0.0.1:\(port)/v1/traces", headers: [], timeout: .seconds(10), sampler: Sampler(),
                                       resource: [("service.name", "test")], delay: .seconds(60), maxQueue: 64, maxBatch: 2,
                                       exportTimeout: .milliseconds(300))
        let tracer = OTLPTracer(sampler: Sampler(), exporter: SpanExporter(settings: settings, logger: Logger(label: "test")))
        for _ in 0..<10 { tracer.startSpan("s", context: .topLevel).end() }
        let started = ContinuousClock.now
        await tracer.exporter.exportAll()
        #expect(ContinuousClock.now - started < .seconds(3), "one round stops at its timeout, and at the first failed post")
        #expect(tracer.exporter.queued == 8, "what was not posted waits for the next round")
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
