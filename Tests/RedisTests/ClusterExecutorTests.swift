import Redis
import Testing
import TestSupport

/// `ClusterExecutor` over `RedisPool`s (what the tools use) against a real cluster of three
/// primaries and three replicas.
@Suite("ClusterExecutor against a real Redis Cluster", .serialized)
final class ClusterExecutorTests {
    let cluster: RedisClusterServers
    let redis: ClusterExecutor

    init() throws {
        cluster = try RedisClusterServers()
        var configuration = cluster.configuration
        configuration.cluster?.retryMilliseconds = 20_000
        redis = ClusterExecutor(configuration: configuration) { RedisPool(configuration: $0, size: 2) }
    }

    deinit { redis.close() }

    /// No node answered MOVED or ASK: every command went straight to the node of its slot.
    func expectNoRedirects(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for port in try cluster.primaryPorts() {
            #expect(try errorCount("MOVED", cluster: cluster, port: port) == 0, sourceLocation: sourceLocation)
            #expect(try errorCount("ASK", cluster: cluster, port: port) == 0, sourceLocation: sourceLocation)
        }
    }

    @Test func everyPartitionsKeysReachTheirNodeAndReadBack() async throws {
        let map = try cluster.slotMap()
        for partition in 0..<16 {
            let stream = partitionKey(partition)
            let id = try await redis.send("XADD", stream, "*", "type", "OrderPlaced", "orderId", "o\(partition)").string
            _ = try await redis.send("HSET", partitionKey(partition, "order:o\(partition)"), "status", "placed")
            _ = try await redis.send("ZADD", partitionKey(partition, "board"), String(partition), "o\(partition)")
            #expect(try await redis.send("XRANGE", stream, "-", "+").array?.first?.array?.first?.string == id)
            #expect(try await redis.send("HGET", partitionKey(partition, "order:o\(partition)"), "status").string == "placed")
            #expect(try await redis.send("ZSCORE", partitionKey(partition, "board"), "o\(partition)").string == String(partition))
            // On the node the map names for the slot, and on no other primary.
            let owner = try #require(map.primary(for: HashSlot(key: stream)))
            for primary in map.primaries {
                let count = try cluster.connect(port: primary.port).send(RedisCommand("CLUSTER", "COUNTKEYSINSLOT", String(HashSlot(key: stream).value))).int
                #expect(primary == owner ? count ?? 0 >= 3 : count == 0)
            }
        }
        // Keyless commands go to some primary.
        #expect(try await redis.send("PING") == .status("PONG"))
        try expectNoRedirects()
    }

    @Test func aPipelineOverEveryNodeKeepsTheCallersOrder() async throws {
        var commands: [RedisCommand] = []
        var expected: [RESPValue] = []
        for round in 1...5 {
            for partition in 0..<16 {
                commands.append(RedisCommand("INCR", partitionKey(partition, "counter")))
                expected.append(.integer(Int64(round)))
            }
            commands.append(RedisCommand("PING"))
            expected.append(.status("PONG"))
        }
        _ = try await redis.send("SET", partitionKey(3, "text"), "x")
        commands.insert(RedisCommand("LPUSH", partitionKey(3, "text"), "y"), at: 40)  // WRONGTYPE, kept in place
        let replies = try await redis.pipelineKeepingErrors(commands)
        #expect(replies.count == commands.count)
        #expect(replies[40].serverError?.serverCode == "WRONGTYPE")
        var withoutError = replies
        withoutError.remove(at: 40)
        #expect(withoutError == expected)
        // The throwing form reads everything, then throws the error.
        await #expect(throws: RedisError.self) { try await self.redis.pipeline(commands) }
        #expect(try await redis.send("GET", partitionKey(9, "counter")) == .bulk(Array("10".utf8)))
        // Spread over every primary: each took part.
        let primaries = try await redis.primaries()
        #expect(primaries.count == 3)
        for primary in primaries {
            let info = try cluster.connect(port: primary.port).send(RedisCommand("INFO", "commandstats")).string ?? ""
            #expect(info.contains("cmdstat_incr:calls="))
        }
        try expectNoRedirects()
    }

    @Test func scriptsRunOnEveryNodeAndAfterScriptFlush() async throws {
        let script = RedisScript(source: "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])")
        for partition in 0..<16 {
            #expect(try await redis.run(script, keys: [partitionKey(partition, "script")], arguments: RedisCommand(["v\(partition)"])).string == "v\(partition)")
        }
        // One primary forgets every script: NOSCRIPT there, loaded again by the node's executor.
        let flushed = try cluster.primaryPort(servingSlot: HashSlot(key: partitionKey(0, "script")))
        _ = try cluster.connect(port: flushed).send(RedisCommand("SCRIPT", "FLUSH"))
        for partition in 0..<16 {
            #expect(try await redis.run(script, keys: [partitionKey(partition, "script")], arguments: RedisCommand(["w\(partition)"])).string == "w\(partition)")
        }
        #expect(try errorCount("NOSCRIPT", cluster: cluster, port: flushed) >= 1)
        // With its WAIT on the same connection: the node's replica confirms.
        let (reply, replicas) = try await redis.run(script, keys: [partitionKey(5, "script")], arguments: RedisCommand(["r"]), replication: Replication(replicas: 1))
        #expect(reply.string == "r")
        #expect(replicas >= 1)
        #expect(try await redis.confirm(touching: RedisCommand("PEXPIRE", partitionKey(6, "script"), "60000"), replication: Replication(replicas: 1)) >= 1)
        try expectNoRedirects()
        // Keys of two partitions in one script: refused before sending.
        await #expect(throws: RedisError.crossSlot(command: "EVALSHA", keys: [partitionKey(1, "script"), partitionKey(2, "script")])) {
            try await self.redis.run(script, keys: [partitionKey(1, "script"), partitionKey(2, "script")], arguments: RedisCommand(["x"]))
        }
    }

    @Test func crossSlotCommandsAreRefusedBeforeAnythingIsSent() async throws {
        do {
            _ = try await redis.send("MGET", partitionKey(1, "a"), partitionKey(2, "a"))
            Issue.record("a cross-slot MGET was sent")
        } catch let error as RedisError {
            #expect(error == .crossSlot(command: "MGET", keys: [partitionKey(1, "a"), partitionKey(2, "a")]))
            #expect(error.isPermanent && !error.isRouting)
        }
        // In a pipeline, the whole pipeline is refused: its other commands did not run.
        await #expect(throws: RedisError.crossSlot(command: "DEL", keys: [partitionKey(1, "a"), partitionKey(2, "a")])) {
            try await self.redis.pipeline([RedisCommand("SET", partitionKey(1, "a"), "1"), RedisCommand("DEL", partitionKey(1, "a"), partitionKey(2, "a"))])
        }
        #expect(try await redis.send("GET", partitionKey(1, "a")) == .null)
        // A transaction is one unit: all its keys in one slot.
        await #expect(throws: RedisError.self) {
            try await self.redis.pipeline([RedisCommand("MULTI"), RedisCommand("SET", partitionKey(1, "a"), "1"), RedisCommand("SET", partitionKey(2, "a"), "1"), RedisCommand("EXEC")])
        }
        let transaction = try await redis.pipeline([
            RedisCommand("MULTI"), RedisCommand("SET", partitionKey(1, "a"), "1"), RedisCommand("INCR", partitionKey(1, "b")), RedisCommand("EXEC"),
        ])
        #expect(transaction.last == .array([.status("OK"), .integer(1)]))
        // Nobody saw CROSSSLOT: it never reached a node.
        for port in try cluster.primaryPorts() { #expect(try errorCount("CROSSSLOT", cluster: cluster, port: port) == 0) }
        // A command the client cannot route is refused as well.
        await #expect(throws: RedisError.unroutable(command: "FROBNICATE")) { try await self.redis.send("FROBNICATE", "k") }
    }

    @Test func fanOutOverPrimariesAndSlots() async throws {
        for partition in 0..<16 { _ = try await redis.send("SET", partitionKey(partition, "fan"), "1") }
        let sizes = try await redis.sendToEveryPrimary(RedisCommand("DBSIZE"))
        #expect(sizes.map(\.node) == (try await redis.primaries()))
        #expect(sizes.reduce(0) { $0 + ($1.reply.int ?? 0) } == 16)
        let slot = HashSlot(key: partitionKey(4, "fan"))
        #expect(try await redis.send(RedisCommand("CLUSTER", "COUNTKEYSINSLOT", String(slot.value)), toSlot: slot) == .integer(1))
        await #expect(throws: RedisError.self) { try await self.redis.send(RedisCommand("GET", partitionKey(5, "fan")), toSlot: slot) }
        let (node, executor) = try await redis.executor(forSlot: slot)
        #expect(node.port == (try cluster.primaryPort(servingSlot: slot)))
        #expect(try await executor.send("GET", partitionKey(4, "fan")) == .bulk(Array("1".utf8)))
        // What baedalctl status shows: every slot served, each primary with its replica. And
        // CLUSTER SLOTS tells the same map as CLUSTER SHARDS.
        let map = try await redis.slotMap()
        #expect(map.unservedSlots == 0 && map.shards.allSatisfy { $0.replicas.count == 1 && $0.slotCount > 5_000 })
        let slots = try cluster.connect(port: map.primaries[0].port).send(RedisCommand("CLUSTER", "SLOTS"))
        var fromSlots: [Int: Int] = [:]
        for entry in slots.array ?? [] {
            guard let parts = entry.array, let start = parts[0].int, let end = parts[1].int, let port = parts[2].array?[1].int else { continue }
            for slot in start...end { fromSlots[slot] = port }
        }
        #expect(fromSlots.count == HashSlot.count)
        #expect(HashSlot.all.allSatisfy { fromSlots[$0.value] == map.primary(for: $0)?.port })
    }

    /// A hand-made migration, half-way: the moved key is answered `ASK` by its old node and read
    /// with `ASKING` on the new one; a key not moved yet is still served by the old node; a new
    /// key goes to the new node. `ASK` changes no map.
    @Test func askDuringAMigrationIsOneRedirectWithAsking() async throws {
        let moved = "ask:{7}:moved", staying = "ask:{7}:staying", created = "ask:{7}:created"
        _ = try await redis.pipeline([RedisCommand("SET", moved, "m"), RedisCommand("SET", staying, "s")])
        let slot = HashSlot(key: moved)
        let source = try cluster.primaryPort(servingSlot: slot)
        let target = try #require(try cluster.primaryPorts().first { $0 != source })
        let migration = try ClusterMigration(cluster, slot: slot, to: target)
        try migration.move([moved])
        let refreshes = redis.resolver.refreshes
        #expect(try await redis.send("GET", moved) == .bulk(Array("m".utf8)))
        #expect(try await redis.send("GET", staying) == .bulk(Array("s".utf8)))
        #expect(try await redis.send("SET", created, "c") == .status("OK"))
        let replies = try await redis.pipeline([RedisCommand("GET", staying), RedisCommand("GET", moved), RedisCommand("GET", created)])
        #expect(replies.map(\.string) == ["s", "m", "c"])
        // A script whose key is not on the old node: ASKING and EVALSHA on the new one, which has
        // never seen the script (NOSCRIPT: loaded there, then run), with and without its WAIT.
        let script = RedisScript(source: "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1]) -- asked")
        let onSource = try #require(try (0..<16).map { partitionKey($0, "asked") }.first { try cluster.primaryPort(servingSlot: HashSlot(key: $0)) == source })
        _ = try await redis.run(script, keys: [onSource], arguments: RedisCommand(["known on the old node only"]))
        #expect(try await redis.run(script, keys: ["ask:{7}:scripted"], arguments: RedisCommand(["x"])) == .bulk(Array("x".utf8)))
        let (reply, replicas) = try await redis.run(script, keys: ["ask:{7}:waited"], arguments: RedisCommand(["y"]), replication: Replication(replicas: 1))
        #expect(reply == .bulk(Array("y".utf8)) && replicas >= 1)
        #expect(try await redis.confirm(touching: RedisCommand("PEXPIRE", "ask:{7}:touched", "1000"), replication: Replication(replicas: 1)) >= 1)
        #expect(try errorCount("ASK", cluster: cluster, port: source) >= 6)
        #expect(try errorCount("NOSCRIPT", cluster: cluster, port: target) >= 1)
        #expect(redis.resolver.refreshes == refreshes)
        // The new key is on the new node (read there with ASKING, the slot is not its yet).
        let onTarget = try cluster.connect(port: target).pipeline([RedisCommand("ASKING"), RedisCommand("MGET", created, "ask:{7}:scripted", "ask:{7}:waited")])
        #expect(onTarget.last == .array(["c", "x", "y"].map { .bulk(Array($0.utf8)) }))
        // Once the migration is done, the old node answers MOVED and the map follows.
        try migration.finish()
        #expect(try await redis.send("GET", staying) == .bulk(Array("s".utf8)))
        let followed = await eventually(seconds: 10) { self.redis.resolver.current?.primary(for: slot)?.port == target }  // refreshed behind the MOVED
        #expect(followed)
    }

    /// A script whose two keys are split by a migration gets `TRYAGAIN`; it is retried with
    /// back-off and succeeds once the migration is done.
    @Test func tryAgainWhileAScriptsKeysAreSplitThenSuccess() async throws {
        let first = "try:{9}:a", second = "try:{9}:b"
        _ = try await redis.pipeline([RedisCommand("SET", first, "1"), RedisCommand("SET", second, "2")])
        let slot = HashSlot(key: first)
        let source = try cluster.primaryPort(servingSlot: slot)
        let target = try #require(try cluster.primaryPorts().first { $0 != source })
        let migration = try ClusterMigration(cluster, slot: slot, to: target)
        try migration.move([first])
        let script = RedisScript(source: "return redis.call('GET', KEYS[1]) .. redis.call('GET', KEYS[2])")
        let redis = self.redis
        let run = Task { try await redis.run(script, keys: [first, second], arguments: RedisCommand()) }
        let refused = await eventually(seconds: 20) { (try? errorCount("TRYAGAIN", cluster: self.cluster, port: source)) ?? 0 >= 1 }
        #expect(refused)
        try migration.finish()
        #expect(try await run.value == .bulk(Array("12".utf8)))
    }

    /// Out of time, the routing reply reaches the caller as a typed, retryable error.
    @Test func routingThatOutlastsTheRetryTimeIsTypedAndNotPermanent() async throws {
        var configuration = cluster.configuration
        configuration.cluster?.retryMilliseconds = 300
        let impatient = ClusterExecutor(configuration: configuration) { RedisPool(configuration: $0, size: 1) }
        defer { impatient.close() }
        let first = "late:{3}:a", second = "late:{3}:b"
        _ = try await impatient.pipeline([RedisCommand("SET", first, "1"), RedisCommand("SET", second, "2")])
        let slot = HashSlot(key: first)
        let source = try cluster.primaryPort(servingSlot: slot)
        let migration = try ClusterMigration(cluster, slot: slot, to: try #require(try cluster.primaryPorts().first { $0 != source }))
        try migration.move([first])
        do {
            _ = try await impatient.send("MGET", first, second)
            Issue.record("MGET of split keys succeeded")
        } catch let error as RedisError {
            #expect(error.clusterRouting == .tryAgain)
            #expect(error.isRouting && !error.isPermanent)
        }
        // Kept in place in a pipeline.
        let replies = try await impatient.pipelineKeepingErrors([RedisCommand("MGET", first, second), RedisCommand("GET", second)])
        #expect(replies[0].serverError?.clusterRouting == .tryAgain)
        #expect(replies[1] == .bulk(Array("2".utf8)))
        try migration.finish()
    }
}
