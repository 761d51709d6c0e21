import NIOCore
import NIOPosix
import Redis
import RedisNIO
import Testing
import TestSupport

/// The API's request path on a cluster: `ClusterExecutor` over one `NIORedisClient` per node.
@Suite("ClusterExecutor over NIORedisClient", .serialized)
final class ClusterNIOTests {
    let cluster: RedisClusterServers
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let redis: ClusterExecutor

    init() throws {
        cluster = try RedisClusterServers()
        var configuration = cluster.configuration
        configuration.cluster?.retryMilliseconds = 20_000
        let group = self.group
        redis = ClusterExecutor(configuration: configuration) { NIORedisClient(configuration: $0, group: group) }
    }

    deinit {
        redis.close()
        try? group.syncShutdownGracefully()
    }

    func key(_ partition: Int, _ name: String) -> String { "baedal:{\(partition)}:\(name)" }

    @Test func commandsPipelinesAndScriptsOnEveryNode() async throws {
        // Concurrent callers on the loops and off them, every partition.
        let loops = group.makeIterator().map { EventLoopExecutor($0) }
        let redis = self.redis
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for partition in 0..<16 {
                let work: @Sendable () async throws -> Void = {
                    for round in 0..<20 { _ = try await redis.send("HINCRBY", "baedal:{\(partition)}:dashboard", "food", String(round)) }
                }
                if partition % 2 == 0 { tasks.addTask(executorPreference: loops[partition % loops.count]) { try await work() } } else { tasks.addTask { try await work() } }
            }
            try await tasks.waitForAll()
        }
        let totals = try await redis.pipeline((0..<16).map { RedisCommand("HGET", key($0, "dashboard"), "food") })
        #expect(totals.map(\.int) == Array(repeating: 190, count: 16))

        let script = RedisScript(source: "return redis.call('HINCRBY', KEYS[1], 'food', ARGV[1])")
        for partition in 0..<16 {
            #expect(try await redis.run(script, keys: [key(partition, "dashboard")], arguments: RedisCommand(["10"])).int == 200)
        }
        // One primary forgets its scripts: NOSCRIPT there, the script loaded again.
        let flushed = try cluster.primaryPort(servingSlot: HashSlot(key: key(0, "dashboard")))
        _ = try cluster.connect(port: flushed).send(RedisCommand("SCRIPT", "FLUSH"))
        let noScripts = try errorCount(flushed)
        for partition in 0..<16 {
            #expect(try await redis.run(script, keys: [key(partition, "dashboard")], arguments: RedisCommand(["5"])).int == 205)
        }
        let (reply, replicas) = try await redis.run(script, keys: [key(3, "dashboard")], arguments: RedisCommand(["1"]), replication: Replication(replicas: 1))
        #expect(reply.int == 206 && replicas >= 1)
        #expect(try errorCount(flushed) > noScripts)
        // A NIORedisClient of its own on a configuration pinned to a slot talks to that slot's primary.
        let pinned = NIORedisClient(configuration: cluster.configuration.pinned(toKey: key(13, "dashboard")), group: group)
        defer { pinned.close() }
        #expect(try await pinned.send("HGET", key(13, "dashboard"), "food") == .bulk(Array("205".utf8)))
        // Every command went straight to its slot's node: no node answered MOVED.
        for port in try cluster.primaryPorts() {
            let info = try cluster.connect(port: port).send(RedisCommand("INFO", "errorstats")).string ?? ""
            #expect(!info.contains("errorstat_MOVED"))
        }
    }

    @Test func aReshardAndAFailoverAreFollowed() async throws {
        let moving = (0..<2_000).map { "nio:{\($0)}" }.filter { HashSlot(key: $0).value < 100 }.prefix(10).map { $0 }
        _ = try await redis.pipeline(moving.map { RedisCommand("SET", $0, "v") })
        let source = try cluster.primaryPort(servingSlot: HashSlot(0)!)
        let target = try #require(try cluster.primaryPorts().first { $0 != source })
        try cluster.reshard(slots: 100, from: source, to: target)
        let refreshes = redis.resolver.refreshes
        #expect(try await redis.pipeline(moving.map { RedisCommand("GET", $0) }).map(\.string) == moving.map { _ in "v" })
        let settled = await eventually(seconds: 10) { !self.redis.resolver.isRefreshing }
        #expect(settled && redis.resolver.refreshes == refreshes + 1)

        let slot = HashSlot(key: key(1, "x"))
        _ = try await redis.send("SET", key(1, "x"), "1")
        #expect(try await redis.confirm(touching: RedisCommand("PEXPIRE", key(1, "x"), "600000"), replication: Replication(replicas: 1)) >= 1)
        let dead = try cluster.killPrimary(servingSlot: slot)
        #expect(try await redis.send("INCR", key(1, "x")) == .integer(2))
        #expect(try cluster.waitForFailover(of: dead, slot: slot) != dead)
    }

    private func errorCount(_ port: Int) throws -> Int {
        let info = try cluster.connect(port: port).send(RedisCommand("INFO", "errorstats")).string ?? ""
        return info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("errorstat_NOSCRIPT:count=") }
            .flatMap { Int($0.dropFirst("errorstat_NOSCRIPT:count=".count).prefix { $0.isNumber }) } ?? 0
    }
}
