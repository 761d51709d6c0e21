import Redis
import Testing

@Suite("Keys of commands, for routing")
struct ClusterKeysTests {
    func keys(_ arguments: String...) -> [String]? {
        switch ClusterKeys.keys(of: RedisCommand(arguments)) {
        case .keys(let keys): return keys.map { String(decoding: $0, as: UTF8.self) }
        case .keyless: return []
        case .unknown: return nil
        }
    }

    @Test func theCommandsThisCodeBaseSends() {
        #expect(keys("GET", "k") == ["k"])
        #expect(keys("set", "k", "v", "EX", "5") == ["k"])
        #expect(keys("DEL", "a", "b", "c") == ["a", "b", "c"])
        #expect(keys("EXISTS", "a") == ["a"])
        #expect(keys("HMGET", "h", "f1", "f2") == ["h"])
        #expect(keys("ZRANGEBYSCORE", "z", "0", "+inf") == ["z"])
        #expect(keys("XADD", "s", "MAXLEN", "~", "10", "*", "f", "v") == ["s"])
        #expect(keys("XAUTOCLAIM", "s", "g", "c", "1000", "0-0") == ["s"])
        #expect(keys("XINFO", "GROUPS", "s") == ["s"])
        #expect(keys("XINFO", "stream", "s", "FULL") == ["s"])
        #expect(keys("XINFO", "HELP") == [])
        #expect(keys("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM") == ["s"])
        #expect(keys("XGROUP", "DESTROY", "s", "g") == ["s"])
        #expect(keys("RENAME", "a", "b") == ["a", "b"])
        #expect(keys("MSET", "a", "1", "b", "2") == ["a", "b"])
        #expect(keys("BLPOP", "a", "b", "5") == ["a", "b"])
        #expect(keys("BLPOP") == [])
        #expect(keys("MEMORY", "USAGE", "k") == ["k"])
        #expect(keys("PING") == [] && keys("WAIT", "1", "100") == [] && keys("SCRIPT", "LOAD", "return 1") == [] && keys("CLUSTER", "SHARDS") == [])
        #expect(keys("FROBNICATE", "k") == nil)
    }

    @Test func streamsOfAReadAreTheFirstHalfAfterSTREAMS() {
        #expect(keys("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "BLOCK", "5000", "STREAMS", "s1", "s2", ">", ">") == ["s1", "s2"])
        #expect(keys("XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s1", "0") == ["s1"])
        // A group and a consumer named STREAMS are stepped over by position.
        #expect(keys("XREADGROUP", "GROUP", "STREAMS", "STREAMS", "STREAMS", "s1", ">") == ["s1"])
        #expect(keys("XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$") == ["a", "b"])
        // Malformed reads are not guessed at.
        #expect(keys("XREAD", "STREAMS", "a", "b", "c") == nil)
        #expect(keys("XREAD", "STREAMS") == nil)
        #expect(keys("XREADGROUP", "GROUP", "g") == nil)
    }

    @Test func scriptsByTheirKeys() {
        #expect(keys("EVALSHA", "abc", "2", "k1", "k2", "arg") == ["k1", "k2"])
        #expect(keys("EVAL", "return 1", "0", "arg") == [])
        // A numkeys Redis would refuse is Redis's to refuse: no crash, no key.
        #expect(keys("EVAL", "return 1", "5", "k") == [])
        #expect(keys("EVAL", "return 1", "-1", "k") == [])
        #expect(keys("EVAL", "return 1", "x", "k") == [])
        #expect(keys("EVAL", "return 1", "99999999999999999999999", "k") == [])
        #expect(keys("EVAL") == [])
    }

    @Test func crossSlotIsRefusedWithTheKeys() throws {
        #expect(try ClusterKeys.slot(of: RedisCommand("MGET", "{a}1", "{a}2")) == HashSlot(key: "a"))
        #expect(try ClusterKeys.slot(of: RedisCommand("PING")) == nil)
        do {
            _ = try ClusterKeys.slot(of: RedisCommand("MGET", "baedal:{1}:x", "baedal:{2}:x"))
            Issue.record("cross-slot keys were accepted")
        } catch {
            #expect(error == .crossSlot(command: "MGET", keys: ["baedal:{1}:x", "baedal:{2}:x"]))
        }
        #expect(throws: RedisError.unroutable(command: "FROBNICATE")) { try ClusterKeys.slot(of: RedisCommand("FROBNICATE", "k")) }
    }
}
