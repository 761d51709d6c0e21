import Foundation
import Redis
import Testing
import TestSupport

/// Several `baedal-worker projector` processes in one consumer group: more throughput, never
/// duplicates, and exact dashboards through crashes and stalls.
@Suite("Projector: scale-out, crash and stall", .serialized)
struct ProjectorScaleOutTests {
    @Test func threeProcessesDrainThirtyThousandMixedEventsExactly() async throws {
        let harness = try ProjectorHarness()
        for name in ["w1", "w2", "w3"] { try await harness.startWorker(name) }
        let mix = EventMix(count: 30_000, seed: 1)
        try mix.write(to: harness.connection, keys: harness.keys)  // written while the workers run
        try await harness.waitUntilDrained()
        try harness.expectDashboards(mix.expected)
        #expect(try harness.connection.send(RedisCommand("XLEN", "baedal:dead")) == .integer(0))
        // Each instance took a share: the group knows all three consumers.
        let consumers = try harness.connection.send(RedisCommand("XINFO", "CONSUMERS", "baedal:events:order", "projector")).array ?? []
        #expect(consumers.count == 3)
    }

    @Test func aProcessKilledMidRunLosesNothingAndCountsNothingTwice() async throws {
        let harness = try ProjectorHarness()
        let mix = EventMix(count: 30_000, seed: 2)
        let victim = try await harness.workersBusyWith(mix, names: ["k1", "k2", "k3"])[1]
        let held = try await harness.stopWhileHolding(victim, consumer: "k2")
        victim.signal(SIGKILL)  // never restarted
        #expect(await victim.waitForExit() != nil)
        #expect(held > 0)
        try await harness.waitUntilDrained()
        #expect(try harness.pending(consumer: "k2") == 0, "the dead consumer's messages were claimed")
        try harness.expectDashboards(mix.expected)
        #expect(harness.logs.contains("claimed idle messages"))
    }

    @Test func aStalledProcessWhoseMessagesWereClaimedCountsNothingTwice() async throws {
        let harness = try ProjectorHarness()
        let mix = EventMix(count: 30_000, seed: 3)
        let stalled = try await harness.workersBusyWith(mix, names: ["s1", "s2", "s3"])[1]
        let held = try await harness.stopWhileHolding(stalled, consumer: "s2")
        #expect(held > 0)
        // Past the claim time the others take its messages over and apply them.
        let claimed = await eventually(seconds: 60) { (try? harness.pending(consumer: "s2")) == 0 }
        #expect(claimed)
        try await harness.waitUntilDrained()
        // It wakes up holding messages someone else already applied: its writes must be dropped,
        // and it says so once it has tried them.
        stalled.signal(SIGCONT)
        #expect(await eventually(seconds: 20) { stalled.log.contains("their writes were dropped") || !stalled.isRunning },
                "the woken worker dropped the writes of the messages claimed from it\n\(harness.logs)")
        #expect(stalled.isRunning)
        let more = EventMix(count: 3_000, seed: 33)
        try more.write(to: harness.connection, keys: harness.keys)
        try await harness.waitUntilDrained()
        try harness.expectDashboards(EventMix.expected(mix.events + more.events))
    }
}
