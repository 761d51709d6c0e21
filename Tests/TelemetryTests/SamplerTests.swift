import Testing
@testable import Telemetry

@Suite("Sampling")
struct SamplerTests {
    @Test func aParentBasedSamplerFollowsTheParentWhateverItsRoot() {
        let sampled = TraceContext(traceID: .random(), spanID: .random(), sampled: true)
        var unsampled = sampled
        unsampled.sampled = false
        for root in [Sampler.Root.alwaysOn, .alwaysOff, .ratio(0.01)] {
            #expect(Sampler(root: root).sample(sampled.traceID, parent: sampled))
            #expect(!Sampler(root: root).sample(unsampled.traceID, parent: unsampled))
        }
        #expect(!Sampler(root: .alwaysOff, parentBased: false).sample(sampled.traceID, parent: sampled))
    }

    @Test func aRatioKeepsThatShareOfTracesDecidedByTheTraceID() {
        let ids = (0..<20_000).map { _ in TraceID.random() }
        let kept = ids.filter { Sampler(root: .ratio(0.25)).sample($0, parent: nil) }.count
        #expect((4_000...6_000).contains(kept), "\(kept)")
        // The same trace id, the same decision, in every process.
        #expect(ids.allSatisfy { Sampler(root: .ratio(0.25)).sample($0, parent: nil) == Sampler(root: .ratio(0.25), parentBased: false).sample($0, parent: nil) })
        #expect(ids.allSatisfy { Sampler(root: .ratio(1)).sample($0, parent: nil) })
        #expect(!ids.contains { Sampler(root: .ratio(0)).sample($0, parent: nil) })
    }
}
