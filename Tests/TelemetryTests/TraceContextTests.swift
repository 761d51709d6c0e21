import Testing
@testable import Telemetry

/// W3C trace context read from outside (HTTP headers, stream entries): strict, and never a trap.
@Suite("Trace context")
struct TraceContextTests {
    let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func aValidTraceparentReadsAndWritesBackTheSame() throws {
        let context = try #require(TraceContext(traceparent: valid, tracestate: "congo=t61rcWkgMzE"))
        #expect(context.traceID.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanID.hex == "00f067aa0ba902b7")
        #expect(context.sampled)
        #expect(context.state == "congo=t61rcWkgMzE")
        #expect(context.traceparent == valid)
        #expect(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled == false)
    }

    @Test(arguments: [
        "", "00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",         // too short
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",                  // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",                  // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",                  // zero span id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",                  // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",            // version 00 with more
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",                  // separators
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",                  // not hex
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",                 // later version, bad tail
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",
    ])
    func anInvalidTraceparentIsNoContext(_ text: String) {
        #expect(TraceContext(traceparent: text) == nil)
    }

    @Test func aLaterVersionIsReadByItsFirstFourParts() {
        #expect(TraceContext(traceparent: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later")?.spanID.hex == "00f067aa0ba902b7")
    }

    @Test func aTracestateThatCannotBePassedOnIsDropped() throws {
        #expect(try #require(TraceContext(traceparent: valid, tracestate: String(repeating: "a", count: 513))).state == nil)
        #expect(try #require(TraceContext(traceparent: valid, tracestate: "a=b\nforged: header")).state == nil)
        #expect(try #require(TraceContext(traceparent: valid, tracestate: "")).state == nil)
    }

    @Test func anyBytesAtAllAreReadWithoutTrapping() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...80, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if count >= 55, Bool.random(using: &generator) {
                // Mostly valid shapes, with one byte changed.
                bytes = Array(valid.utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let context = TraceContext(traceparent: bytes, tracestate: bytes) {
                #expect(TraceContext(traceparent: context.traceparent) != nil)
            }
        }
    }

    @Test func idsAreRandomAndNeverZero() {
        let ids = Set((0..<1_000).map { _ in TraceID.random() })
        #expect(ids.count == 1_000)
        #expect(!ids.contains(TraceID(high: 0, low: 0)))
        #expect(TraceID(high: 1, low: 0xFF).hex == "000000000000000100000000000000ff")
        #expect(SpanID(0x0102030405060708).bytes == [1, 2, 3, 4, 5, 6, 7, 8])
    }
}
