import Redis
import Testing
import TestSupport

/// The blocking client on a cluster: pinned to a slot it talks to that slot's primary and
/// follows it; unpinned it talks to any node that answers.
@Suite("RedisClient pinned to a cluster slot", .serialized)
final class PinnedRedisClientTests {
    let cluster: RedisClusterServers

    init() throws {
        cluster = try RedisClusterServers()
    }

    func client(pinnedTo key: String) -> RedisClient {
        var configuration = cluster.configuration.pinned(toKey: key)
        configuration.cluster?.retryMilliseconds = 20_000
        return RedisClient(configuration: configuration, label: "pinned")
    }

    @Test func itTalksToItsSlotsPrimaryAndRefusesOtherSlots() async throws {
        let key = partitionKey(5)
        let client = client(pinnedTo: key)
        defer { client.close() }
        _ = try await client.send("XADD", key, "*", "type", "OrderPlaced")
        #expect(try await client.pipeline([RedisCommand("XLEN", key), RedisCommand("PING")]) == [.integer(1), .status("PONG")])
        let node = try await client.withConnection { connection throws(RedisError) in connection.primary }
        #expect(node?.port == (try cluster.primaryPort(servingSlot: HashSlot(key: key))))
        // A key of another partition on this client would read another node's data: refused.
        let other = try #require(try (0..<16).map { partitionKey($0) }.first { try cluster.primaryPort(servingSlot: HashSlot(key: $0)) != node?.port })
        await #expect(throws: RedisError.crossSlot(command: "XLEN on a client pinned to slot \(HashSlot(key: key))", keys: [other])) {
            try await client.send("XLEN", other)
        }
        // Inside withConnection a routing reply is the typed error, for the caller to retry.
        do {
            _ = try await client.withConnection { connection throws(RedisError) in try connection.send(RedisCommand("XLEN", other)) }
            Issue.record("another slot's key was served")
        } catch let error as RedisError {
            #expect(error.isRouting && !error.isPermanent)
            guard case .moved = error.clusterRouting else { Issue.record("expected MOVED, got \(error)"); return }
        }
    }

    /// The slot moves to another primary: `send` follows the `MOVED`, and the connection is
    /// replaced by one to the new primary (no `MOVED` after that).
    @Test func itFollowsItsSlotThroughAReshard() async throws {
        let key = keys(1, prefix: "pinned:", where: { $0.value < 50 })[0]
        let client = client(pinnedTo: key)
        defer { client.close() }
        _ = try await client.send("SET", key, "1")
        let source = try cluster.primaryPort(servingSlot: HashSlot(key: key))
        let target = try #require(try cluster.primaryPorts().first { $0 != source })
        try cluster.reshard(slots: 50, from: source, to: target)
        #expect(try await client.send("INCR", key) == .integer(2))
        #expect(try await client.withConnection { connection throws(RedisError) in connection.primary }?.port == target)
        let moved = try errorCount("MOVED", cluster: cluster, port: source)
        #expect(moved >= 1)
        #expect(try await client.pipeline([RedisCommand("INCR", key), RedisCommand("GET", key)]) == [.integer(3), .bulk(Array("3".utf8))])
        #expect(try errorCount("MOVED", cluster: cluster, port: source) == moved)
    }

    /// Half-way through a hand-made migration `send` follows `ASK` (with `ASKING`, on the
    /// importing node) and its own connection stays where it is.
    @Test func itFollowsAskAndTryAgain() async throws {
        let moved = "pin:{4}:moved", staying = "pin:{4}:staying"
        let client = client(pinnedTo: moved)
        defer { client.close() }
        _ = try await client.pipeline([RedisCommand("SET", moved, "m"), RedisCommand("SET", staying, "s")])
        let slot = HashSlot(key: moved)
        let source = try cluster.primaryPort(servingSlot: slot)
        let target = try #require(try cluster.primaryPorts().first { $0 != source })
        let migration = try ClusterMigration(cluster, slot: slot, to: target)
        try migration.move([moved])
        #expect(try await client.pipeline([RedisCommand("GET", moved), RedisCommand("GET", staying)]) == [.bulk(Array("m".utf8)), .bulk(Array("s".utf8))])
        #expect(try errorCount("ASK", cluster: cluster, port: source) >= 1)
        #expect(try await client.withConnection { connection throws(RedisError) in connection.primary }?.port == source)
        // Split keys: TRYAGAIN until the migration is done, then the answer.
        let read = Task { try await client.send("MGET", moved, staying) }
        let refused = await eventually(seconds: 20) { (try? errorCount("TRYAGAIN", cluster: self.cluster, port: source)) ?? 0 >= 1 }
        #expect(refused)
        try migration.finish()
        #expect(try await read.value == .array([.bulk(Array("m".utf8)), .bulk(Array("s".utf8))]))
    }

    /// A manual failover (`CLUSTER FAILOVER` on the replica) demotes the primary under a blocked
    /// `XREADGROUP`: Redis answers it `UNBLOCKED`, which reaches the caller as routing (not a
    /// failure), and the next read goes to the promoted primary.
    @Test func aBlockedReadUnblockedByAFailoverIsRoutingAndFollows() async throws {
        let stream = partitionKey(8)
        let slot = HashSlot(key: stream)
        let client = client(pinnedTo: stream)
        defer { client.close() }
        _ = try await client.send("XGROUP", "CREATE", stream, "projector", "$", "MKSTREAM")
        let primary = try cluster.primaryPort(servingSlot: slot)
        let replica = try #require(try cluster.slotMap().shard(for: slot)?.replicas.first?.endpoint.port)
        let read = Task {
            try await client.withConnection { connection throws(RedisError) in
                try connection.send(RedisCommand("XREADGROUP", "GROUP", "projector", "c1", "BLOCK", "20000", "STREAMS", stream, ">"))
            }
        }
        let blocked = await eventually(seconds: 10) {
            ((try? self.cluster.connect(port: primary).send(RedisCommand("INFO", "clients")).string) ?? "").contains("blocked_clients:1")
        }
        #expect(blocked)
        _ = try cluster.connect(port: replica).send(RedisCommand("CLUSTER", "FAILOVER"))
        do {
            let reply = try await read.value
            Issue.record("the blocked read returned \(reply) instead of being unblocked")
        } catch let error as RedisError {
            #expect(error.clusterRouting == .unblocked)
            #expect(error.isRouting && !error.isPermanent)
        }
        // The connection noticed: the next call goes to the promoted primary.
        #expect(try await client.send("XADD", stream, "*", "type", "OrderPlaced").string != nil)
        #expect(try await client.withConnection { connection throws(RedisError) in connection.primary }?.port == replica)
        let entries = try await client.withConnection { connection throws(RedisError) in
            try connection.send(RedisCommand("XREADGROUP", "GROUP", "projector", "c1", "COUNT", "10", "STREAMS", stream, ">"))
        }
        #expect(entries.array?.first?.array?.last?.array?.count == 1)
    }

    /// Without a slot, a cluster configuration connects to any node that answers: a seed that
    /// is down is passed over.
    @Test func withoutASlotAnyNodeThatAnswers() async throws {
        var configuration = cluster.configuration
        let nobody = try freePort()
        configuration.cluster?.seeds.insert(RedisEndpoint(host: "127.0.0.1", port: nobody), at: 0)
        let connection = try RedisConnection(configuration: configuration)
        #expect(try connection.send(RedisCommand("PING")) == .status("PONG"))
        #expect(connection.primary != nil && connection.primary?.port != nobody)
        let client = RedisClient(configuration: configuration, label: "admin")
        defer { client.close() }
        #expect(try await client.send("CLUSTER", "KEYSLOT", "x").int == HashSlot(key: "x").value)
    }
}
