import Foundation
import Redis
import Testing
import TestSupport

@Suite("Projector: garbage, failures, restarts and shutdown", .serialized)
struct ProjectorFailureTests {
    /// Entries that are not events of the contract's shape.
    static let garbage: [(stream: String, fields: [String])] = [
        ("order", ["type", "OrderPlaced", "orderId", "g1", "at", "1", "data", "{not json"]),
        ("order", ["type", "OrderPlaced", "orderId", "g2", "at", "1", "data", #"{"orderId":"g2"}"#]),
        ("order", ["type", "OrderCancelled", "orderId", "g3", "at", "1", "data", #"{"items":[{"foodId":"food-1","qty":"two"}]}"#]),
        ("store", ["type", "OrderRejected", "orderId", "g4", "at", "1", "data", #"{"items":[{"qty":1}]}"#]),
        ("delivery", ["type", "DeliveryPicked", "orderId", "g5", "at", "1", "data", #"{"riderId":5}"#]),
        ("order", ["orderId", "g6", "at", "1", "data", "{}"]),
        ("order", ["type", "OrderPlaced", "orderId", "g7", "at", "1"]),
        ("delivery", ["hello", "world"]),
    ]

    @Test func garbageGoesToTheDeadLetterStreamAndEverythingElseIsCounted() async throws {
        let harness = try ProjectorHarness()
        let worker = try await harness.startWorker("d1")
        let mix = EventMix(count: 2_000, seed: 4)
        var garbageIds: Set<String> = []
        for (index, event) in mix.events.enumerated() {
            if index % 250 == 0 {
                let bad = Self.garbage[(index / 250) % Self.garbage.count]
                let id = try harness.connection.send(RedisCommand(["XADD", "baedal:events:\(bad.stream)", "*"] + bad.fields)).string!
                garbageIds.insert(id)
            }
            _ = try harness.connection.send(RedisCommand(["XADD", harness.keys.stream(event.stream), "*", "type", event.type,
                                                          "orderId", event.orderId, "at", "1", "data", event.data]))
        }
        try await harness.waitUntilDrained()
        try harness.expectDashboards(mix.expected)
        let dead = try harness.connection.send(RedisCommand("XRANGE", "baedal:dead", "-", "+")).array ?? []
        #expect(dead.count == garbageIds.count)
        var buried: Set<String> = []
        for entry in dead {
            let fields = expectProjectorLetter(entry, consumer: "d1", streamPrefix: "baedal:events:")
            buried.insert(fields["id"] ?? "")
        }
        #expect(buried == garbageIds)
        #expect(worker.isRunning)
    }

    /// Redis refusing an event's writes for good (a key of the wrong type) is not worth 25
    /// deliveries: the event is dead-lettered at once with the reason, the rest of its batch applied.
    @Test func anEventWhoseEffectsRedisRefusesIsDeadLetteredAtOnce() async throws {
        let harness = try ProjectorHarness()
        // Someone broke the rider dashboard: it is a string now, so HINCRBY on it fails.
        _ = try harness.connection.send(RedisCommand("SET", "baedal:dashboard:rider-deliveries", "oops"))
        let worker = try await harness.startWorker("f1", claimIdleMs: 300, maxDeliveries: 3)
        let picked = try harness.connection.send(RedisCommand(["XADD", "baedal:events:delivery", "*", "type", "DeliveryPicked",
                                                               "orderId", "o1", "at", "1", "data", #"{"riderId":"r1"}"#])).string!
        _ = try harness.connection.send(RedisCommand(["XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o2",
                                                      "at", "1", "data", #"{"items":[{"foodId":"kimchi","qty":3}]}"#]))
        try await harness.waitUntilDrained(seconds: 60)
        #expect(try harness.dashboard("food-orders") == ["kimchi": 3], "the good event in the same batch still counts")
        let dead = try harness.connection.send(RedisCommand("XRANGE", "baedal:dead", "-", "+")).array ?? []
        try #require(dead.count == 1)
        let flat = dead[0].array?[1].array?.compactMap(\.string) ?? []
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) where fields[flat[index]] == nil { fields[flat[index]] = flat[index + 1] }
        #expect(fields["id"] == picked)
        #expect(fields["deliveries"] == "1")
        #expect(fields["reason"]?.contains("WRONGTYPE") == true)
        // Repaired, the policy goes on.
        _ = try harness.connection.send(RedisCommand("DEL", "baedal:dashboard:rider-deliveries"))
        _ = try harness.connection.send(RedisCommand(["XADD", "baedal:events:delivery", "*", "type", "DeliveryPicked",
                                                      "orderId", "o3", "at", "1", "data", #"{"riderId":"r1"}"#]))
        try await harness.waitUntilDrained()
        #expect(try harness.dashboard("rider-deliveries") == ["r1": 1])
        #expect(worker.isRunning)
    }

    @Test func pendingEntriesTrimmedAwayAreDroppedNotClaimedForever() async throws {
        let harness = try ProjectorHarness()
        let mix = EventMix(count: 200, seed: 8)
        let ids = try mix.write(to: harness.connection, keys: harness.keys)
        // A consumer read everything and died; then an operator trimmed some of those entries away.
        for stream in harness.streams {
            _ = try harness.connection.send(RedisCommand("XGROUP", "CREATE", harness.keys.stream(stream), "projector", "0", "MKSTREAM"))
            _ = try harness.connection.send(RedisCommand(["XREADGROUP", "GROUP", "projector", "ghost", "COUNT", "1000",
                                                          "STREAMS", harness.keys.stream(stream), ">"]))
        }
        let trimmed = Array(zip(mix.events, ids).prefix(50))
        for (event, id) in trimmed {
            _ = try harness.connection.send(RedisCommand("XDEL", harness.keys.stream(event.stream), id))
        }
        #expect(try harness.pending(consumer: "ghost") == 200)
        let worker = try await harness.startWorker("heir", claimIdleMs: 300)
        try await harness.waitUntilDrained(seconds: 60)
        #expect(try harness.pending() == 0)
        // The 150 entries that still exist were claimed and counted, the trimmed ones dropped.
        try harness.expectDashboards(EventMix.expected(mix.events.dropFirst(50)))
        #expect(worker.log.contains("no longer exist"))
        #expect(worker.isRunning)
    }

    @Test func redisRestartedWithoutPersistenceUnderARunningWorker() async throws {
        let harness = try ProjectorHarness()
        let worker = try await harness.startWorker("r1")
        let before = EventMix(count: 500, seed: 5)
        try before.write(to: harness.connection, keys: harness.keys)
        try await harness.waitUntilDrained()
        try harness.expectDashboards(before.expected)

        try harness.server.restart()  // everything is gone: streams, groups, dashboards
        let connection = try harness.server.connect()
        let after = EventMix(count: 500, seed: 6)
        try after.write(to: connection, keys: harness.keys)
        let caughtUp = await eventually(seconds: 60) {
            (try? ProjectorHarness(server: harness.server).dashboard("food-orders")) == after.expected.food
        }
        #expect(caughtUp, "\(harness.logs)")
        let fresh = try ProjectorHarness(server: harness.server)
        try await fresh.waitUntilDrained()
        try fresh.expectDashboards(after.expected)
        #expect(worker.isRunning)
        #expect(worker.log.contains("recreat"), "the recreated group is logged loudly")
    }

    @Test func sigtermMidStreamExitsZeroWithNothingPendingAndExactCounts() async throws {
        let harness = try ProjectorHarness()
        let mix = EventMix(count: 30_000, seed: 7)
        let ids = try mix.write(to: harness.connection, keys: harness.keys)
        let worker = try await harness.startWorker("t1")
        let started = await eventually { ((try? harness.dashboard("food-orders"))?.isEmpty == false) }
        try #require(started)
        worker.signal(SIGTERM)
        let status = await worker.waitForExit(seconds: 20)
        #expect(status == 0, "\(worker.log)")
        #expect(worker.terminationReason == .exit)
        #expect(try harness.pending(consumer: "t1") == 0)
        #expect(try harness.pending() == 0)
        // Everything delivered was applied, nothing else: the dashboards equal the events up to
        // the group's last delivered id on each stream.
        var last: [String: String] = [:]
        for stream in harness.streams { last[stream.rawValue] = try harness.lastDelivered(stream) }
        let handled = zip(mix.events, ids).filter { event, id in
            guard let bound = last[event.stream.rawValue] else { return false }
            return streamId(id, isAtMost: bound)
        }.map(\.0)
        #expect(handled.count < mix.events.count, "stopped mid-stream")
        try harness.expectDashboards(EventMix.expected(handled))
        #expect(worker.log.contains("stopped"))
    }
}
