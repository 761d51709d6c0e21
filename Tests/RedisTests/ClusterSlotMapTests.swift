@testable import Redis
import Testing

/// `CLUSTER SHARDS` and `CLUSTER SLOTS` replies as Redis 7.0 sends them, and hostile ones: a
/// reply that does not hold up is refused whole (the resolver asks another node), never trusted
/// and never a crash.
@Suite("Cluster slot maps from replies")
struct ClusterSlotMapTests {
    static let asked = RedisEndpoint(host: "10.9.9.9", port: 7000)

    static func node(_ id: String, _ port: RESPValue, role: String, ip: String = "127.0.0.1", endpoint: String? = nil, health: String = "online") -> RESPValue {
        .array([
            .bulk(Array("id".utf8)), .bulk(Array(id.utf8)), .bulk(Array("port".utf8)), port, .bulk(Array("ip".utf8)), .bulk(Array(ip.utf8)),
            .bulk(Array("endpoint".utf8)), .bulk(Array((endpoint ?? ip).utf8)), .bulk(Array("role".utf8)), .bulk(Array(role.utf8)),
            .bulk(Array("replication-offset".utf8)), .integer(0), .bulk(Array("health".utf8)), .bulk(Array(health.utf8)),
        ])
    }

    static func shard(_ slots: [RESPValue], _ nodes: [RESPValue]) -> RESPValue {
        .array([.bulk(Array("slots".utf8)), .array(slots), .bulk(Array("nodes".utf8)), .array(nodes)])
    }

    static func map(_ reply: RESPValue) throws(RedisError) -> ClusterSlotMap {
        try ClusterSlotMap(shards: ClusterTopologyReply.shards(reply, answeredBy: asked), generation: 1)
    }

    /// A node serving clear text and TLS reports both ports; a node with `port 0` only `tls-port`.
    @Test func overTLSANodesTLSPortIsTheOneUsed() throws {
        func both(_ id: String, _ port: Int, _ tlsPort: Int?, role: String) -> RESPValue {
            var fields: [RESPValue] = [.bulk(Array("id".utf8)), .bulk(Array(id.utf8))]
            if port != 0 { fields += [.bulk(Array("port".utf8)), .integer(Int64(port))] }
            if let tlsPort { fields += [.bulk(Array("tls-port".utf8)), .integer(Int64(tlsPort))] }
            fields += [.bulk(Array("ip".utf8)), .bulk(Array("127.0.0.1".utf8)), .bulk(Array("role".utf8)), .bulk(Array(role.utf8))]
            return .array(fields)
        }
        let reply = RESPValue.array([
            Self.shard([.integer(0), .integer(8191)], [both("a", 7001, 8001, role: "master")]),
            Self.shard([.integer(8192), .integer(16383)], [both("b", 0, 8002, role: "master")]),
        ])
        let clear = try ClusterSlotMap(shards: ClusterTopologyReply.shards(reply, answeredBy: Self.asked), generation: 1)
        let secure = try ClusterSlotMap(shards: ClusterTopologyReply.shards(reply, answeredBy: Self.asked, tls: true), generation: 1)
        #expect(clear.primary(for: HashSlot(0)!)?.port == 7001 && clear.primary(for: HashSlot(16383)!)?.port == 8002)
        #expect(secure.primary(for: HashSlot(0)!)?.port == 8001 && secure.primary(for: HashSlot(16383)!)?.port == 8002)
    }

    @Test func shardsAsRedisSendsThem() throws {
        let reply = RESPValue.array([
            Self.shard([.integer(0), .integer(5460)], [Self.node("a", .integer(7001), role: "master"), Self.node("d", .integer(7004), role: "replica")]),
            Self.shard([.integer(5461), .integer(10922)], [Self.node("b", .integer(7002), role: "master")]),
            Self.shard([.integer(10923), .integer(12000), .integer(12001), .integer(16383)], [Self.node("c", .integer(7003), role: "master", endpoint: "?")]),
            // A failed old primary: a master without slots, left out.
            Self.shard([], [Self.node("x", .integer(7009), role: "master", health: "fail")]),
        ])
        let map = try Self.map(reply)
        #expect(map.shards.count == 3)
        #expect(map.unservedSlots == 0)
        #expect(map.primary(for: HashSlot(0)!) == .init(host: "127.0.0.1", port: 7001))
        #expect(map.primary(for: HashSlot(5461)!)?.port == 7002)
        #expect(map.primary(for: HashSlot(16383)!)?.port == 7003)
        #expect(map.shard(for: HashSlot(1)!)?.replicas.map(\.endpoint.port) == [7004])
        #expect(map.shard(for: HashSlot(12000)!)?.slotCount == 16384 - 10923)
        #expect(map.nodes.count == 4)
    }

    @Test func slotsOfOlderRedis() throws {
        func entry(_ start: Int64, _ end: Int64, _ ports: Int64...) -> RESPValue {
            .array([.integer(start), .integer(end)] + ports.map { .array([.bulk(Array("127.0.0.1".utf8)), .integer($0), .bulk(Array("id\($0)".utf8))]) })
        }
        let shards = try ClusterTopologyReply.slots(.array([entry(0, 100, 7001, 7004), entry(101, 16383, 7002), entry(50_00, 50_00, 7001)]), answeredBy: Self.asked)
        #expect(shards.count == 2)
        #expect(shards[0].slots.count == 2 && shards[0].replicas.map(\.endpoint.port) == [7004])
        // Those overlap (5000 is in 101...16383 too): the map refuses them.
        #expect(throws: RedisError.self) { try ClusterSlotMap(shards: shards, generation: 1) }
    }

    @Test(arguments: [
        // slots out of range, backwards, not numbers, odd
        Self.shard([.integer(0), .integer(16384)], [Self.node("a", .integer(7001), role: "master")]),
        Self.shard([.integer(-1), .integer(10)], [Self.node("a", .integer(7001), role: "master")]),
        Self.shard([.integer(10), .integer(5)], [Self.node("a", .integer(7001), role: "master")]),
        Self.shard([.bulk(Array("zero".utf8)), .integer(5)], [Self.node("a", .integer(7001), role: "master")]),
        Self.shard([.integer(0)], [Self.node("a", .integer(7001), role: "master")]),
        Self.shard([.integer(Int64.min), .integer(Int64.max)], [Self.node("a", .integer(7001), role: "master")]),
        // ports out of range or missing
        Self.shard([.integer(0), .integer(10)], [Self.node("a", .integer(0), role: "master")]),
        Self.shard([.integer(0), .integer(10)], [Self.node("a", .integer(65_536), role: "master")]),
        Self.shard([.integer(0), .integer(10)], [Self.node("a", .integer(Int64.max), role: "master")]),
        Self.shard([.integer(0), .integer(10)], [Self.node("a", .null, role: "master")]),
        // slots without a primary; shapes that are not the documented ones
        Self.shard([.integer(0), .integer(10)], [Self.node("a", .integer(7001), role: "replica")]),
        Self.shard([.integer(0), .integer(10)], [.integer(3)]),
        .integer(7),
        .array([.bulk(Array("slots".utf8))]),
    ])
    func hostileShardsAreRefused(_ shard: RESPValue) {
        let reply = RESPValue.array([shard])
        do {
            let map = try Self.map(reply)
            Issue.record("accepted \(shard) as \(map.shards)")
        } catch {
            guard case .unexpectedReply = error else { Issue.record("expected unexpectedReply, got \(error)"); return }
        }
        #expect(throws: RedisError.self) { try Self.map(.integer(1)) }
    }

    @Test func twoPrimariesForOneSlotAreRefused() {
        let reply = RESPValue.array([
            Self.shard([.integer(0), .integer(100)], [Self.node("a", .integer(7001), role: "master")]),
            Self.shard([.integer(100), .integer(200)], [Self.node("b", .integer(7002), role: "master")]),
        ])
        #expect(throws: RedisError.self) { try Self.map(reply) }
    }

    @Test func anUnknownEndpointIsTheAskedNodesHost() throws {
        let reply = RESPValue.array([Self.shard([.integer(0), .integer(16383)], [Self.node("a", .integer(7001), role: "master", ip: "", endpoint: "?")])])
        #expect(try Self.map(reply).primary(for: HashSlot(9)!) == .init(host: "10.9.9.9", port: 7001))
    }
}
