import Redis
import Testing

@Suite("Redis Cluster URLs")
struct ClusterURLTests {
    @Test func seedsAndLogin() throws {
        let configuration = try RedisConfiguration(url: "redis-cluster://alice:s%40cret@10.0.0.1:7000,10.0.0.2,[::1]:7002")
        let cluster = try #require(configuration.cluster)
        #expect(cluster.seeds == [.init(host: "10.0.0.1", port: 7000), .init(host: "10.0.0.2", port: 6379), .init(host: "::1", port: 7002)])
        #expect(cluster.slot == nil)
        #expect(configuration.sentinel == nil)
        #expect(configuration.username == "alice" && configuration.password == "s@cret" && configuration.database == 0)
        #expect(configuration.host == "10.0.0.1" && configuration.port == 7000)
        #expect(try RedisConfiguration(url: "redis-cluster://h:7000/").cluster?.seeds == [.init(host: "h", port: 7000)])
        #expect(try RedisConfiguration(url: "redis-cluster://:pw@h").password == "pw")
    }

    @Test func descriptionHidesThePassword() throws {
        let configuration = try RedisConfiguration(url: "redis-cluster://alice:hunter2@h1:7000,h2:7001")
        #expect(configuration.description == "redis-cluster://alice:***@h1:7000,h2:7001")
        #expect(!configuration.description.contains("hunter2"))
        #expect(!configuration.pinned(to: HashSlot(12)!).description.contains("hunter2"))
    }

    @Test func pinningIsForClustersOnly() throws {
        let cluster = try RedisConfiguration(url: "redis-cluster://h1:7000,h2:7001")
        let pinned = cluster.pinned(toKey: "baedal:{3}:events:order")
        #expect(pinned.cluster?.slot == HashSlot(key: "3"))
        #expect(pinned.cluster?.seeds == cluster.cluster?.seeds)
        // A node's own configuration is a plain one with the same login.
        let node = pinned.at(.init(host: "h9", port: 7009))
        #expect(node.cluster == nil && node.sentinel == nil && node.host == "h9" && node.port == 7009)
        // One Redis, or Sentinel's primary, serves every slot: pinning changes nothing.
        let single = try RedisConfiguration(url: "redis://h:6379/2")
        #expect(single.pinned(to: HashSlot(5)!) == single)
        let sentinel = try RedisConfiguration(url: "redis-sentinel://h:26379/baedal")
        #expect(sentinel.pinned(to: HashSlot(5)!) == sentinel)
    }

    @Test(arguments: [
        "redis-cluster://h:7000/0", "redis-cluster://h:7000/1", "redis-cluster://h:7000/baedal", "redis-cluster://", "redis-cluster://h:7000,",
        "redis-cluster://,h:7000", "redis-cluster://h:0", "redis-cluster://h:70000", "redis-cluster://h:x", "redis-cluster://[::1",
        "redis-cluster://h:7000//", "rediscluster://h:7000",
    ])
    func rejects(_ url: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("accepted \(url)")
        } catch {
            guard case .invalidURL(let reported, let reason) = error else {
                Issue.record("expected invalidURL, got \(error)")
                return
            }
            #expect(reported == url)
            #expect(!reason.isEmpty)
        }
    }
}
