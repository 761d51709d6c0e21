import Contract
import Foundation
import Redis
import Testing
import TestSupport

/// Issue 21, "Tests that must exist", item 1: the backbone's crash tests of one Redis
/// (`ProjectorScaleOutTests`, `ProjectorFailureTests`) on a Redis Cluster of three primaries, every
/// process on `redis-cluster://` with sixteen partitions, with the same assertions: a projector
/// SIGKILLed, one SIGSTOPped past the claim time and woken, garbage entries on partitions' streams.
@Suite("Backbone crashes on a Redis Cluster: three primaries, sixteen partitions", .serialized)
struct ClusterCrashTests {
    @Test func aProjectorKilledMidRunLosesNothingAndCountsNothingTwiceOnACluster() async throws {
        let cluster = try RedisClusterServers()
        defer { cluster.stop() }
        let projectors = try await ClusterProjectors(cluster)
        let mix = EventMix(count: 60_000, seed: 21)
        let victim = try await projectors.busyWith(mix, instances: 3)[1]
        let held = try await projectors.stopWhileHolding(victim)
        victim.signal(SIGKILL)  // never restarted
        #expect(await victim.waitForExit() != nil)
        #expect(held > 0)
        try await projectors.waitUntilDrained()
        #expect(try projectors.pending(consumer: victim) == 0, "the dead consumer's messages were claimed")
        try await projectors.expectDashboards(mix.expected)
        #expect(projectors.logs.contains("claimed idle messages"), "\(projectors.logs)")
        #expect(try projectors.deployment.deadLetterCount() == 0)
        for worker in projectors.workers where worker !== victim { #expect(worker.isRunning, "\(worker.log.suffix(2_000))") }
    }

    @Test func aStalledProjectorWhoseMessagesWereClaimedCountsNothingTwiceOnACluster() async throws {
        let cluster = try RedisClusterServers()
        defer { cluster.stop() }
        let projectors = try await ClusterProjectors(cluster)
        let mix = EventMix(count: 60_000, seed: 22)
        let stalled = try await projectors.busyWith(mix, instances: 3)[1]
        let held = try await projectors.stopWhileHolding(stalled)
        #expect(held > 0)
        // Past the claim time the others take its messages over, on every partition, and apply them.
        let claimed = await eventually(seconds: 30) { (try? projectors.pending(consumer: stalled)) == 0 }
        #expect(claimed, "the stalled consumer's messages were claimed\n\(projectors.logs)")
        #expect(processState(stalled.pid) == "T", "still stopped while its messages were claimed")
        try await projectors.waitUntilDrained()
        // It wakes up holding messages someone else already applied: its writes must be dropped,
        // and it says so once it has tried them.
        stalled.signal(SIGCONT)
        #expect(await eventually(seconds: 20) { stalled.log.contains("their writes were dropped") || !stalled.isRunning },
                "the woken worker dropped the writes of the messages claimed from it\n\(projectors.logs)")
        #expect(stalled.isRunning)
        let more = EventMix(count: 2_000, seed: 222)
        try projectors.write(more)
        try await projectors.waitUntilDrained()
        try await projectors.expectDashboards(EventMix.expected(mix.events + more.events))
        #expect(try projectors.deployment.deadLetterCount() == 0)
        for worker in projectors.workers { #expect(worker.isRunning, "\(worker.log.suffix(2_000))") }
    }

    @Test func garbageIsDeadLetteredOnItsPartitionAndRealOrdersAroundItAreCountedOnACluster() async throws {
        let cluster = try RedisClusterServers()
        defer { cluster.stop() }
        let projectors = try await ClusterProjectors(cluster)
        let worker = try await projectors.start()
        let deployment = projectors.deployment
        let customer = try await deployment.customer("c-cl-garbage")
        let mix = EventMix(count: 2_000, seed: 23)
        // Garbage on the streams of the partition of its order id (or of 9 when it has none).
        var garbage: [String: Int] = [:]  // entry id → partition
        var realOrders: [String] = []
        for (index, event) in mix.events.enumerated() {
            if index % 250 == 0 {
                let bad = ProjectorFailureTests.garbage[(index / 250) % ProjectorFailureTests.garbage.count]
                let orderId = zip(bad.fields, bad.fields.dropFirst()).first { $0.0 == "orderId" }?.1
                let k = orderId.map { deployment.keySpace.partition(of: $0) } ?? 9
                let stream = try #require(StreamName(rawValue: bad.stream))
                let id = try #require(try projectors.send(partition: k, ["XADD", deployment.keySpace.keys(ofPartition: k).stream(stream), "*"] + bad.fields).string)
                garbage[id] = k
                // Real orders, through the API, between the garbage.
                if index % 500 == 0 { realOrders.append(try await deployment.placed(customer, items: [("fried-chicken", 2)])) }
            }
            try projectors.write(event)
        }
        #expect(Set(garbage.values).count > 1, "garbage on more than one partition: \(garbage)")
        #expect(Set(realOrders.map { deployment.keySpace.partition(of: $0) }).count > 1, "real orders on more than one partition")
        try await projectors.waitUntilDrained()
        var expected = mix.expected
        expected.food["fried-chicken", default: 0] += 2 * realOrders.count
        try await projectors.expectDashboards(expected)

        // Each garbage entry on its own partition's dead stream, nothing on the others.
        var buried: [String: Int] = [:]
        for k in 0..<Deployment.clusterPartitions {
            let keys = deployment.keySpace.keys(ofPartition: k)
            let dead = try deployment.clusterCommand("XRANGE", keys.dead, "-", "+").array ?? []
            for entry in dead {
                let fields = expectProjectorLetter(entry, consumer: "projector-1", streamPrefix: "baedal:{\(k)}:events:")
                buried[fields["id"] ?? "", default: -1] = k
            }
        }
        #expect(buried == garbage, "every garbage entry dead-lettered once, on its partition's dead stream")
        #expect(try deployment.deadLetterCount() == garbage.count)
        #expect(worker.isRunning)
        for process in deployment.processes { #expect(process.isRunning, "\(process.name) died:\n\(process.log.suffix(2_000))") }
    }
}

/// `baedal-worker projector` processes of a deployment on a cluster, and what a user looks at on
/// each partition: the dashboards' parts (and the API's merged answer), the group's pending lists
/// and last delivered ids, read from the primary that serves each partition's slot.
final class ClusterProjectors: @unchecked Sendable {
    let cluster: RedisClusterServers
    let deployment: Deployment
    let group = "projector"
    let streams: [StreamName] = [.order, .store, .delivery]
    private var connections: [Int: RedisConnection] = [:]

    init(_ cluster: RedisClusterServers) async throws {
        self.cluster = cluster
        deployment = try await Deployment.onCluster(cluster, workers: [])
    }

    var workers: [BaedalProcess] { deployment.workers["projector"] ?? [] }

    /// Starts one more projector (`projector-N`) and waits until it says it is ready.
    @discardableResult
    func start() async throws -> BaedalProcess {
        try deployment.startWorker("projector")
        let worker = try #require(workers.last)
        // One consumer per partition, each saying it is ready.
        let ready = await eventually(seconds: 20) {
            worker.log.components(separatedBy: "policy=projector ready").count > Deployment.clusterPartitions || !worker.isRunning
        }
        try #require(ready && worker.isRunning, "\(worker.name) did not start:\n\(worker.log)")
        return worker
    }

    /// Writes `mix` as a backlog, starts `instances` projectors and returns once they are counting.
    func busyWith(_ mix: EventMix, instances: Int) async throws -> [BaedalProcess] {
        try write(mix)
        for _ in 0..<instances { try await start() }
        let counting = await eventually { ((try? self.deployment.dashboardParts(.foodOrders))?.isEmpty == false) }
        try #require(counting, "the projectors count\n\(logs)")
        return workers
    }

    func consumer(_ worker: BaedalProcess) -> String {
        "projector-\((workers.firstIndex { $0 === worker } ?? -1) + 1)"
    }

    // MARK: Writing

    /// A connection to the primary serving partition `k` now.
    func connection(partition k: Int) throws -> RedisConnection {
        if let connection = connections[k] { return connection }
        let connection = try cluster.connect(port: cluster.primaryPort(servingSlot: deployment.slot(ofPartition: k)))
        connections[k] = connection
        return connection
    }

    func send(partition k: Int, _ arguments: [String]) throws -> RESPValue {
        try connection(partition: k).send(RedisCommand(arguments))
    }

    private func command(_ event: EventMix.Event) -> RedisCommand {
        RedisCommand(["XADD", deployment.keySpace.keys(forOrder: event.orderId).stream(event.stream), "*", "type", event.type,
                      "orderId", event.orderId, "at", "1700000000000", "data", event.data])
    }

    /// One event on its order's partition's stream.
    func write(_ event: EventMix.Event) throws {
        _ = try connection(partition: deployment.keySpace.partition(of: event.orderId)).send(command(event))
    }

    /// Every event on its order's partition's stream, pipelined partition by partition.
    func write(_ mix: EventMix) throws {
        let byPartition = Dictionary(grouping: mix.events) { deployment.keySpace.partition(of: $0.orderId) }
        for (k, events) in byPartition {
            for chunk in stride(from: 0, to: events.count, by: 1_000) {
                _ = try connection(partition: k).pipeline(events[chunk..<min(chunk + 1_000, events.count)].map(command))
            }
        }
    }

    // MARK: Looking

    /// Messages pending in the group on every partition, in all or for one worker.
    func pending(consumer worker: BaedalProcess? = nil) throws -> Int {
        var total = 0
        for k in 0..<Deployment.clusterPartitions {
            let keys = deployment.keySpace.keys(ofPartition: k)
            let replies = try connection(partition: k).pipeline(streams.map { stream in
                RedisCommand(["XPENDING", keys.stream(stream), group] + (worker.map { ["-", "+", "100000", consumer($0)] } ?? []))
            })
            for reply in replies { total += worker == nil ? reply.array?.first?.int ?? 0 : reply.array?.count ?? 0 }
        }
        return total
    }

    /// True when every entry of every partition's streams was delivered to the group and acknowledged.
    func isDrained() throws -> Bool {
        for k in 0..<Deployment.clusterPartitions {
            let keys = deployment.keySpace.keys(ofPartition: k)
            for stream in streams {
                let reply = try connection(partition: k).sendKeepingErrors(RedisCommand("XINFO", "STREAM", keys.stream(stream)))
                guard case .array = reply else { continue }  // no such stream: nothing to drain
                let info = reply.fields
                guard let last = info["last-generated-id"]?.string else { return false }
                let groups = try send(partition: k, ["XINFO", "GROUPS", keys.stream(stream)]).array ?? []
                let delivered = groups.map(\.fields).first { $0["name"]?.string == group }?["last-delivered-id"]?.string
                if (info["length"]?.int ?? 0) > 0 && delivered != last { return false }
            }
        }
        return try pending() == 0
    }

    func waitUntilDrained(seconds: Double = 40) async throws {
        let drained = await eventually(seconds: seconds, every: 100) { (try? self.isDrained()) ?? false }
        let stillPending = (try? pending()) ?? -1
        try #require(drained, "not drained: \(stillPending) pending\n\(logs)")
    }

    /// Stops a worker while it holds read-but-unacknowledged messages on some partition.
    func stopWhileHolding(_ worker: BaedalProcess) async throws -> Int {
        for _ in 0..<100 {
            worker.signal(SIGSTOP)
            let stopped = await eventually(seconds: 5, every: 1) { processState(worker.pid) == "T" }
            try #require(stopped, "\(consumer(worker)) is stopped (state \(processState(worker.pid) ?? "-"))")
            // A round trip to every primary, so each has read what the worker sent it before.
            for port in try cluster.primaryPorts() { _ = try cluster.connect(port: port).send(RedisCommand("PING")) }
            let held = try pending(consumer: worker)
            if held > 0 { return held }
            worker.signal(SIGCONT)
            let holding = await eventually(seconds: 10, every: 1) { ((try? self.pending(consumer: worker)) ?? 0) > 0 }
            if !holding { break }
        }
        Issue.record("\(consumer(worker)) never held pending messages")
        return 0
    }

    /// The dashboards, exact: as the sum of the partitions' parts and through the API's merged answer.
    func expectDashboards(_ expected: (food: [String: Int], riders: [String: Int]), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let food = try deployment.dashboardParts(.foodOrders).filter { $0.value != 0 }
        let riders = try deployment.dashboardParts(.riderDeliveries).filter { $0.value != 0 }
        #expect(food == expected.food, "food-orders (parts) differs", sourceLocation: sourceLocation)
        #expect(riders == expected.riders, "rider-deliveries (parts) differs", sourceLocation: sourceLocation)
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let apiFood = try await deployment.call("GET", "/dashboard/food-orders", token: owner).object.compactMapValues { $0 as? Int }.filter { $0.value != 0 }
        let apiRiders = try await deployment.call("GET", "/dashboard/rider-deliveries", token: owner).object.compactMapValues { $0 as? Int }.filter { $0.value != 0 }
        #expect(apiFood == expected.food, "GET /dashboard/food-orders differs", sourceLocation: sourceLocation)
        #expect(apiRiders == expected.riders, "GET /dashboard/rider-deliveries differs", sourceLocation: sourceLocation)
        if food != expected.food || riders != expected.riders { print(logs) }
    }

    var logs: String {
        workers.map { "--- \($0.name) (running: \($0.isRunning))\n\($0.log.suffix(4_000))" }.joined(separator: "\n")
    }
}
