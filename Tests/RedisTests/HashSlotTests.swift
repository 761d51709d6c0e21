import Redis
import Testing
import TestSupport

/// The slot function against the server's own: a key routed to the wrong slot is a command
/// sent to the wrong node, so every rule of the hash tag is held against `CLUSTER KEYSLOT`.
@Suite("Hash slots against CLUSTER KEYSLOT", .serialized)
final class HashSlotTests {
    let server: RedisServer

    init() throws {
        // One cluster-enabled node answers CLUSTER KEYSLOT without a cluster around it.
        server = try RedisServer(port: try RedisClusterServers.freeClusterPort(),
                                 extraArguments: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
    }

    /// Keys as bytes: the named edge cases, Korean text, binary bytes, the partitions' keys and
    /// a few thousand generated ones with braces sprinkled in.
    static var keys: [[UInt8]] {
        var keys: [[UInt8]] = [
            "", "a", "foo", "123456789", "{}", "{}a", "a{}", "{{a}}", "{a}}", "{{}}", "a{b}c{d}", "a{b}c", "{", "}", "}{", "{a", "a}",
            "}{a}", "{{", "}}", "{ }", "{a}{b}", "{user1000}.following", "{user1000}.followers", "foo{}{bar}", "foo{{bar}}zap",
            "foo{bar}{zap}", "주문:{서울}:1", "{배달}", "배달", "{", "x{", "x}y{z",
        ].map { Array($0.utf8) }
        keys += [[0x00], [0xFF, 0xFE], [0x7B, 0x00, 0x7D], [0x7B, 0xFF, 0x7D, 0x01], [0x00, 0x7B, 0x7D, 0x80], Array("a\r\nb{\u{0}}".utf8)]
        for partition in 0..<16 {
            for name in ["events:order", "events:payment", "events:store", "events:delivery", "dead", "dashboard:food-orders"] {
                keys.append(Array("baedal:{\(partition)}:\(name)".utf8))
            }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<3_000 {
            let length = Int(next() % 24)
            keys.append((0..<length).map { _ in
                switch next() % 10 {
                case 0: return UInt8(ascii: "{")
                case 1: return UInt8(ascii: "}")
                default: return UInt8(truncatingIfNeeded: next())
                }
            })
        }
        return keys
    }

    @Test func everyKeyHashesAsRedisHashesIt() throws {
        let keys = Self.keys
        let connection = try server.connect()
        let replies = try connection.pipeline(keys.map { RedisCommand(bytes: [Array("CLUSTER".utf8), Array("KEYSLOT".utf8), $0]) })
        var mismatches: [String] = []
        for (key, reply) in zip(keys, replies) where reply.int != HashSlot(key: key).value {
            mismatches.append("\(key): Redis \(reply), ours \(HashSlot(key: key))")
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        #expect(replies.count == keys.count)
    }
}

@Suite("Hash slots")
struct HashSlotRuleTests {
    @Test func theSpecsChecksumAndTheTagRule() {
        #expect(HashSlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(HashSlot(key: "a{b}c{d}") == HashSlot(key: "b"))
        #expect(HashSlot(key: "{{a}}") == HashSlot(key: "{a"))
        #expect(HashSlot(key: "{}") != HashSlot(key: ""))
        #expect(HashSlot(key: "}{") != HashSlot(key: ""))
        #expect(HashSlot(key: "baedal:{7}:events:order") == HashSlot(key: "7"))
        #expect(HashSlot(99_999) == nil && HashSlot(-1) == nil && HashSlot(16_384) == nil && HashSlot(16_383)?.value == 16_383)
    }

    /// What the contract's partitions rely on: the sixteen tags `{0}` … `{15}` land 6 / 6 / 4 on
    /// the three equal ranges `redis-cli --cluster create` makes.
    @Test func theSixteenPartitionsOnThreeEqualRanges() {
        var counts = [0, 0, 0]
        for partition in 0..<16 {
            let slot = HashSlot(key: "baedal:{\(partition)}:events:order").value
            counts[slot <= 5_460 ? 0 : slot <= 10_922 ? 1 : 2] += 1
        }
        #expect(counts.sorted() == [4, 6, 6])
    }
}

/// A script's keys must share one slot whenever they carry a hash tag — checked before sending on
/// every topology, a single Redis included, so that a key left without its partition's tag fails
/// in every test and not only on a cluster.
@Suite("Script keys and their slot")
struct ScriptSlotTests {
    static let script = RedisScript(source: "#!lua\nreturn #KEYS")

    @Test func taggedKeysOfTwoSlotsAreRefusedBeforeSending() throws {
        let server = try RedisServer()
        let connection = try server.connect()
        #expect(throws: RedisError.self) {
            try Self.script.run(on: connection, keys: ["baedal:{3}:order:o-1", "baedal:{4}:events:order"], arguments: RedisCommand())
        }
        do {
            _ = try Self.script.run(on: connection, keys: ["baedal:{3}:order:o-1", "baedal:dead"], arguments: RedisCommand())
            Issue.record("a tagged key beside an untagged one of another slot went through")
        } catch {
            guard case .crossSlot = error else { Issue.record("\(error)"); return }
        }
        #expect(try Self.script.run(on: connection, keys: ["baedal:{3}:order:o-1", "baedal:{3}:events:order"], arguments: RedisCommand()) == .integer(2))
        // Untagged keys (one unpartitioned deployment on a single Redis) are not held to one slot.
        #expect(try Self.script.run(on: connection, keys: ["baedal:order:o-1", "baedal:events:order"], arguments: RedisCommand()) == .integer(2))
        #expect(HashSlot.hasTag("a{b}c") && !HashSlot.hasTag("a{}b") && !HashSlot.hasTag("a}b{") && !HashSlot.hasTag("plain"))
    }
}
