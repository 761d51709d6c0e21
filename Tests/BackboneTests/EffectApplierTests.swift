@testable import Backbone
import Contract
import JSON
import Redis
import Testing
import TestSupport

@Suite("Applying effects with the ack: exactly once", .serialized)
final class EffectApplierTests {
    let server: RedisServer
    let connection: RedisConnection
    let stream = "t:events:order"
    let applier = EffectApplier(group: "g", consumer: "c1", keys: Keys(prefix: "t"))

    init() throws {
        server = try RedisServer()
        connection = try server.connect()
        _ = try connection.send(RedisCommand("XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"))
    }

    /// Adds `count` entries and delivers them to consumer `c1`; returns their ids.
    func delivered(_ count: Int) throws -> [String] {
        for index in 0..<count {
            _ = try connection.send(RedisCommand("XADD", stream, "*", "type", "T", "orderId", "o\(index)", "at", "0", "data", "{}"))
        }
        let reply = try connection.send(RedisCommand("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1000", "STREAMS", stream, ">"))
        return reply.array?.first?.array?[1].array?.compactMap { $0.array?.first?.string } ?? []
    }

    func hash(_ key: String) throws -> [String: String] {
        let flat = try connection.send(RedisCommand("HGETALL", key)).array?.compactMap(\.string) ?? []
        return Dictionary(uniqueKeysWithValues: stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) })
    }

    @Test func appliesOnlyWithTheDeliveryThatAcknowledges() throws {
        let ids = try delivered(3)
        var effects = Effects()
        effects.increment("t:h", field: "pizza", by: 2)
        effects.increment("t:h", field: "cola", by: 1)
        let outcomes = ids.map { Handled(stream: stream, id: $0, effects: effects) }
        #expect(try applier.apply(outcomes, on: connection).acknowledged == 3)
        #expect(try hash("t:h") == ["pizza": "6", "cola": "3"])
        // The same messages again (a slow consumer waking up after a claim): nothing changes.
        let again = try applier.apply(outcomes, on: connection)
        #expect(again.acknowledged == 0)
        #expect(again.skipped.count == 3)
        #expect(try hash("t:h") == ["pizza": "6", "cola": "3"])
        #expect(try connection.send(RedisCommand("XPENDING", stream, "g")).array?.first == .integer(0))
    }

    /// Re-deliveries come in any order (a consumer's parked messages): every one still counts as
    /// owned and is applied once (the ownership check asks `XPENDING` for a range of ids).
    @Test func messagesOutOfStreamOrderAreAppliedAndAcknowledged() throws {
        let ids = try delivered(5)
        let outcomes = [ids[3], ids[0], ids[4], ids[1], ids[2]].map {
            Handled(stream: stream, id: $0, effects: Effects([.increment(hash: "t:order", field: "f", by: 1)]))
        }
        let result = try applier.apply(outcomes, on: connection)
        #expect(result.acknowledged == 5)
        #expect(result.skipped.isEmpty)
        #expect(try hash("t:order") == ["f": "5"])
        #expect(try connection.send(RedisCommand("XPENDING", stream, "g")).array?.first == .integer(0))
    }

    @Test func expiriesAreWrittenOncePerKeyAfterTheIncrements() throws {
        let ids = try delivered(3)
        let later = epochMilliseconds() / 1000 + 3_600
        let outcomes = ids.enumerated().map { index, id in
            Handled(stream: stream, id: id, effects: Effects([
                .increment(hash: "t:minute", field: "placed", by: 1),
                .expire(key: "t:minute", type: .hash, atSeconds: later - Int64(index)),
                .increment(hash: "t:gone", field: "placed", by: 1),
                .expire(key: "t:gone", type: .hash, atSeconds: 1),  // long past: the key goes at once
            ]))
        }
        #expect(try applier.apply(outcomes, on: connection).acknowledged == 3)
        #expect(try hash("t:minute") == ["placed": "3"])
        #expect(try connection.send(RedisCommand("EXPIRETIME", "t:minute")).int == Int(later), "the latest time asked for")
        #expect(try connection.send(RedisCommand("EXISTS", "t:gone")).int == 0)
    }

    @Test func aMessageClaimedByAnotherConsumerIsSkippedAndTheRestApplied() throws {
        let ids = try delivered(3)
        // c2 takes over the middle message (as XAUTOCLAIM would after the claim time).
        _ = try connection.send(RedisCommand("XCLAIM", stream, "g", "c2", "0", ids[1]))
        let outcomes = ids.map { Handled(stream: stream, id: $0, effects: Effects([.increment(hash: "t:c", field: "f", by: 1)])) }
        let result = try applier.apply(outcomes, on: connection)
        #expect(result.acknowledged == 2)
        #expect(result.skipped.map(\.id) == [ids[1]])
        #expect(try hash("t:c") == ["f": "2"])
        // It is still c2's to apply.
        let theirs = try EffectApplier(group: "g", consumer: "c2", keys: Keys(prefix: "t")).apply([outcomes[1]], on: connection)
        #expect(theirs.acknowledged == 1)
        #expect(try hash("t:c") == ["f": "3"])
    }

    @Test func aKeyOfTheWrongTypeFailsTheBatchWithNothingWritten() throws {
        let ids = try delivered(2)
        _ = try connection.send(RedisCommand("SET", "t:bad", "x"))
        let outcomes = [
            Handled(stream: stream, id: ids[0], effects: Effects([.increment(hash: "t:good", field: "f", by: 1)])),
            Handled(stream: stream, id: ids[1], effects: Effects([.increment(hash: "t:bad", field: "f", by: 1)])),
        ]
        #expect(throws: RedisError.self) { try self.applier.apply(outcomes, on: self.connection) }
        #expect(try connection.send(RedisCommand("EXISTS", "t:good")) == .integer(0))
        #expect(try connection.send(RedisCommand("XPENDING", stream, "g")).array?.first == .integer(2))
    }

    /// The group's applied set is read (`ZMSCORE`) before any write and needs no `TYPE` probe of
    /// its own: of another type, the batch still fails with nothing written.
    @Test func anAppliedSetOfTheWrongTypeFailsTheBatchWithNothingWritten() throws {
        let ids = try delivered(2)
        _ = try connection.send(RedisCommand("SET", GroupRecords(keys: Keys(prefix: "t"), group: "g").applied(stream), "x"))
        let outcomes = ids.map { Handled(stream: stream, id: $0, effects: Effects([.increment(hash: "t:good", field: "f", by: 1),
                                                                                   .push(list: "t:list", value: "v")])) }
        #expect(throws: RedisError.self) { try self.applier.apply(outcomes, on: self.connection) }
        #expect(try connection.send(RedisCommand("EXISTS", "t:good", "t:list")) == .integer(0))
        #expect(try connection.send(RedisCommand("XPENDING", stream, "g")).array?.first == .integer(2))
    }

    @Test func appendsAndCommandsKeepTheirOrderWithIncrements() throws {
        let ids = try delivered(2)
        var first = Effects()
        first.increment("t:h2", field: "x", by: 5)
        let reset = Effects([.add(sortedSet: "t:z2", member: "m", score: 1)])
        var second = Effects()
        second.increment("t:h2", field: "x", by: 1)
        second.writes.append(.append(stream: "t:log", fields: [StreamField("a", "b\u{0}c")]))
        let outcomes = [
            Handled(stream: stream, id: ids[0], effects: first),
            Handled(stream: stream, id: ids[1], effects: Effects(reset.writes + second.writes)),
        ]
        #expect(try applier.apply(outcomes, on: connection).acknowledged == 2)
        #expect(try hash("t:h2") == ["x": "6"])
        #expect(try connection.send(RedisCommand("ZCARD", "t:z2")).int == 1)
        let logged = try connection.send(RedisCommand("XRANGE", "t:log", "-", "+")).array?.first?.array?[1]
        #expect(logged == .array([.bulk(Array("a".utf8)), .bulk(Array("b\u{0}c".utf8))]))
    }

    /// Increments are summed over the batch, but a write to the same key keeps its order
    /// against them; writes to other keys do not break the sums up.
    @Test func writesKeepTheirOrderAgainstIncrementsOfTheirOwnKey() throws {
        let ids = try delivered(4)
        let outcomes = [
            Effects([.increment(hash: "t:h", field: "f", by: 5), .add(sortedSet: "t:z", member: "a", score: 1)]),
            Effects([.add(sortedSet: "t:z", member: "c", score: 9), .remove(sortedSet: "t:z", member: "a")]),  // after the first ZADD
            Effects([.increment(hash: "t:h", field: "f", by: 1), .add(sortedSet: "t:z", member: "b", score: 2)]),
            Effects([.increment(hash: "t:h", field: "f", by: 2)]),
        ].enumerated().map { Handled(stream: stream, id: ids[$0.offset], effects: $0.element) }
        #expect(try applier.apply(outcomes, on: connection).acknowledged == 4)
        #expect(try hash("t:h") == ["f": "8"])
        #expect(try connection.send(RedisCommand("ZRANGE", "t:z", "0", "-1")).strings == ["b", "c"])
    }

    /// A stage's durations: each message pushes to a capped list and trims it. The batch sends the
    /// pushes merged (`ListWrites`); the list must be exactly what one command at a time leaves,
    /// whatever else the batch writes in between and whatever caps the messages ask for.
    @Test func pushesToACappedListLeaveWhatOneCommandAtATimeWould() throws {
        for (key, value) in [("t:l", ["old3", "old2", "old1"]), ("t:m", ["m0"])] {
            for item in value { _ = try connection.send(RedisCommand("LPUSH", key, item)) }
        }
        let ids = try delivered(7)
        let writes: [[Effects.Write]] = [
            [.push(list: "t:l", value: "a"), .trim(list: "t:l", keep: 4)],
            [.push(list: "t:l", value: "b"), .add(sortedSet: "t:z", member: "x", score: 1), .trim(list: "t:l", keep: 4)],
            [.push(list: "t:m", value: "m1"), .push(list: "t:l", value: "c"), .trim(list: "t:l", keep: 4), .trim(list: "t:m", keep: 2)],
            [.push(list: "t:l", value: "d"), .trim(list: "t:l", keep: 3)],  // another cap: not merged across it
            [.push(list: "t:l", value: "e"), .trim(list: "t:l", keep: 3)],
            [.push(list: "t:l", value: "f")],  // no trim after it
            [.push(list: "t:m", value: "m2"), .trim(list: "t:m", keep: 2), .push(list: "t:l", value: "g"), .trim(list: "t:l", keep: 5)],
        ]
        // What the commands leave one at a time, on a copy of the lists.
        for (key, copy) in [("t:l", "t:l-copy"), ("t:m", "t:m-copy")] {
            _ = try connection.send(RedisCommand("COPY", key, copy))
        }
        for write in writes.joined() {
            switch write {
            case let .push(list, value): _ = try connection.send(RedisCommand("LPUSH", list + "-copy", value))
            case let .trim(list, keep): _ = try connection.send(RedisCommand("LTRIM", list + "-copy", "0", String(keep - 1)))
            default: break
            }
        }
        let outcomes = zip(ids, writes).map { Handled(stream: stream, id: $0, effects: Effects($1)) }
        #expect(try applier.apply(outcomes, on: connection).acknowledged == 7)
        for key in ["t:l", "t:m"] {
            let applied = try connection.send(RedisCommand("LRANGE", key, "0", "-1")).strings
            let oneByOne = try connection.send(RedisCommand("LRANGE", key + "-copy", "0", "-1")).strings
            #expect(applied == oneByOne, "\(key)")
        }
        #expect(try connection.send(RedisCommand("LRANGE", "t:l", "0", "-1")).strings == ["g", "f", "e", "d", "c"])
    }

    /// The merge itself: four commands of a capped list become two; a different cap, a push
    /// without its trim, or another write of the same key in between keep theirs.
    @Test func listWritesMergeOnlyPushTrimPairsOfTheSameCap() {
        var ops = ListWrites()
        for op: ListWrites.Op in [.push("k", ["a"]), .trim("k", 20), .push("o", ["x"]), .push("k", ["b"]), .trim("k", 20), .push("k", ["c"]), .trim("k", 20)] {
            ops.add(op)
        }
        #expect(ops.merged.map(Self.describe) == ["push k a b c", "push o x", "trim k 20"])
        var kept = ListWrites()
        for op: ListWrites.Op in [.push("k", ["a"]), .trim("k", 20), .command("k", .list, ["LSET", "k", "0", "z"]), .push("k", ["b"]), .trim("k", 20),
                                  .push("k", ["c"]), .trim("k", 10)] {
            kept.add(op)
        }
        #expect(kept.merged.count == 7)
    }

    static func describe(_ op: ListWrites.Op) -> String {
        switch op {
        case let .push(key, values): "push \(key) \(values.joined(separator: " "))"
        case let .trim(key, keep): "trim \(key) \(keep)"
        default: "other \(op.key)"
        }
    }
}
