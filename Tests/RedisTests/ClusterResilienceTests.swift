import Redis
import Synchronization
import Testing
import TestSupport

/// Slots that move and primaries that die, while the same clients carry on.
@Suite("Redis Cluster: reshards and failovers", .serialized)
final class ClusterResilienceTests {
    let cluster: RedisClusterServers

    init() throws {
        cluster = try RedisClusterServers()
    }

    func executor(retryMilliseconds: Int = 30_000) -> ClusterExecutor {
        var configuration = cluster.configuration
        configuration.cluster?.retryMilliseconds = retryMilliseconds
        return ClusterExecutor(configuration: configuration) { RedisPool(configuration: $0, size: 2) }
    }

    /// `redis-cli --cluster reshard` moves 100 slots while the executor's map still names the old
    /// owner: the next pipeline is answered `MOVED`, followed, and costs one refresh of the map.
    @Test func movedAfterAReshardIsFollowedWithOneRefresh() async throws {
        let redis = executor()
        defer { redis.close() }
        let source = try cluster.primaryPort(servingSlot: HashSlot(0)!)
        let target = try #require(try cluster.primaryPorts().first { $0 != source })
        let moving = keys(24, prefix: "moving:", where: { $0.value < 100 })
        _ = try await redis.pipeline(moving.map { RedisCommand("SET", $0, "v:\($0)") })
        let before = try #require(redis.resolver.current)
        #expect(before.primary(for: HashSlot(0)!)?.port == source)

        try cluster.reshard(slots: 100, from: source, to: target)
        let refreshes = redis.resolver.refreshes
        let movedBefore = try errorCount("MOVED", cluster: cluster, port: source)
        let replies = try await redis.pipeline(moving.map { RedisCommand("GET", $0) })
        #expect(replies.map(\.string) == moving.map { "v:\($0)" })
        #expect(try errorCount("MOVED", cluster: cluster, port: source) > movedBefore)
        let settled = await eventually(seconds: 10) { !redis.resolver.isRefreshing }
        #expect(settled)
        #expect(redis.resolver.refreshes == refreshes + 1)
        let after = try #require(redis.resolver.current)
        #expect(after.generation > before.generation)
        #expect(after.primary(for: HashSlot(0)!)?.port == target && after.primary(for: HashSlot(99)!)?.port == target)
        #expect(after.primary(for: HashSlot(100)!)?.port == source)
        // The map is right now: no more redirects, no more refreshes.
        let movedAfter = try errorCount("MOVED", cluster: cluster, port: source)
        for key in moving { #expect(try await redis.send("GET", key).string == "v:\(key)") }
        #expect(try errorCount("MOVED", cluster: cluster, port: source) == movedAfter)
        #expect(redis.resolver.refreshes == refreshes + 1)
    }

    /// A primary is SIGKILLed: its replica is promoted and the same executor, and a slot-pinned
    /// `RedisClient` blocked in `XREADGROUP … BLOCK` on a stream of that slot, carry on without
    /// being recreated. What was confirmed by the replica before the kill is still there. The
    /// killed node, started again, rejoins as a replica.
    @Test func aPrimaryDiesItsReplicaIsPromotedAndClientsCarryOn() async throws {
        let redis = executor()
        defer { redis.close() }
        let victim = 0
        let stream = partitionKey(victim)
        let slot = HashSlot(key: stream)
        _ = try await redis.send("XGROUP", "CREATE", stream, "projector", "$", "MKSTREAM")
        for partition in 0..<16 {
            _ = try await redis.send("SET", partitionKey(partition, "before"), "b\(partition)")
            #expect(try await redis.confirm(touching: RedisCommand("PEXPIRE", partitionKey(partition, "before"), "600000"), replication: Replication(replicas: 1)) >= 1)
        }

        // A worker's read of the partition: pinned to its slot, blocked on its primary.
        var readConfiguration = cluster.configuration.pinned(toKey: stream)
        readConfiguration.readTimeoutMilliseconds = 30_000
        let reader = RedisClient(configuration: readConfiguration, label: "pinned-reader")
        defer { reader.close() }
        let failures = Mutex<[String]>([])
        let read = Task {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                do {
                    let reply = try await reader.withConnection { connection throws(RedisError) in
                        try connection.send(RedisCommand("XREADGROUP", "GROUP", "projector", "c1", "COUNT", "10", "BLOCK", "20000", "STREAMS", stream, ">"))
                    }
                    if !reply.isNull { return reply }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                    try await Task.sleep(for: .milliseconds(50))  // the caller's own pause between attempts
                }
            }
            throw TestFailure("the pinned reader read nothing in 60 s: \(failures.withLock { $0.suffix(5) })")
        }
        let oldPrimary = try cluster.primaryPort(servingSlot: slot)
        let blocked = await eventually(seconds: 10) {
            let info = (try? self.cluster.connect(port: oldPrimary).send(RedisCommand("INFO", "clients")).string) ?? ""
            return info.contains("blocked_clients:1")
        }
        #expect(blocked)

        try cluster.killPrimary(servingSlot: slot)
        // The executor's next write waits out the failover (it backs off and refreshes its map).
        #expect(try await redis.send("SET", partitionKey(victim, "after"), "a") == .status("OK"))
        let promoted = try cluster.waitForFailover(of: oldPrimary, slot: slot)
        #expect(promoted != oldPrimary)
        #expect(redis.resolver.current?.primary(for: slot)?.port == promoted)
        for partition in 0..<16 {
            #expect(try await redis.send("GET", partitionKey(partition, "before")).string == "b\(partition)")
        }

        // The blocked reader lost its connection, reconnected to the promoted primary, and reads.
        let id = try await redis.send("XADD", stream, "*", "type", "OrderPlaced").string
        let entries = try await read.value
        #expect(entries.array?.first?.array?.last?.array?.first?.array?.first?.string == id)
        #expect(try await reader.withConnection { connection throws(RedisError) in connection.primary }?.port == promoted)
        #expect(failures.withLock { $0 }.allSatisfy { !$0.contains("WRONGTYPE") })

        // The killed node comes back as the new primary's replica; nothing is in the way.
        try cluster.restart(port: oldPrimary)
        #expect(try await redis.send("GET", partitionKey(victim, "after")) == .bulk(Array("a".utf8)))
        let role = try cluster.connect(port: oldPrimary).send(RedisCommand("ROLE")).array?.first?.string
        #expect(role == "slave")
    }
}
