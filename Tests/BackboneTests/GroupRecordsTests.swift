@testable import Backbone
import Contract
import Redis
import Testing
import TestSupport

/// A consumer group that is lost and made again does not apply twice what its effects hold
/// (issue 18, item 5): it is made at its recorded watermark, the entries after it that were
/// applied are acknowledged without their writes, and retries waiting below it are appended
/// again. Real redis-server; the messages are delivered by hand as a worker would read them.
@Suite("Group records: a recreated group applies nothing twice", .serialized)
final class GroupRecordsTests {
    let server: RedisServer
    let connection: RedisConnection
    let keys = Keys(prefix: "t")
    let stream = "t:events:order"
    let records: GroupRecords
    let applier: EffectApplier

    init() throws {
        server = try RedisServer()
        connection = try server.connect()
        records = GroupRecords(keys: keys, group: "g")
        applier = EffectApplier(group: "g", consumer: "c1", keys: keys)
        #expect(try records.createGroup(on: stream, connection: connection) == .created(position: "0", replayed: 0))
        #expect(try records.createGroup(on: stream, connection: connection) == .existed)
    }

    func add(_ count: Int) throws -> [String] {
        try (0..<count).map { index in
            try connection.send(RedisCommand("XADD", stream, "*", "type", "T", "orderId", "o\(index)", "at", "0", "data", "{}")).string ?? ""
        }
    }

    /// Delivers every new entry to `consumer`; their ids.
    func read(_ consumer: String = "c1") throws -> [String] {
        let reply = try connection.send(RedisCommand("XREADGROUP", "GROUP", "g", consumer, "COUNT", "1000", "STREAMS", stream, ">"))
        return reply.array?.first?.array?[1].array?.compactMap { $0.array?.first?.string } ?? []
    }

    func counted(_ ids: [String], redelivered: Bool = false) -> [Handled] {
        ids.map { Handled(stream: stream, id: $0, effects: Effects([.increment(hash: "t:count", field: "n", by: 1)]), redelivered: redelivered) }
    }

    var count: Int { (try? connection.send(RedisCommand("HGET", "t:count", "n")).int) ?? 0 }

    func watermark() async throws -> String? {
        try await records.recordWatermark(on: stream, using: RedisClient(configuration: server.configuration))
    }

    func destroyAndRecreate() throws -> GroupRecords.Creation {
        _ = try connection.send(RedisCommand("XGROUP", "DESTROY", stream, "g"))
        return try records.createGroup(on: stream, connection: connection)
    }

    @Test func aGroupLostWhenEverythingWasAppliedDeliversNothingAgain() async throws {
        _ = try add(3)
        let ids = try read()
        _ = try applier.apply(counted(ids), on: connection)
        #expect(try await watermark() == ids.last)
        #expect(try destroyAndRecreate() == .created(position: ids.last!, replayed: 0))
        #expect(try read().isEmpty)
        #expect(count == 3)
    }

    /// One message still in flight when the group was lost (its consumer crashed or is slow):
    /// the watermark stays before it; the ones after it that were applied come again and are
    /// only acknowledged, it is applied once.
    @Test func entriesAfterTheWatermarkAreAppliedExactlyOnce() async throws {
        _ = try add(5)
        let ids = try read()
        _ = try applier.apply(counted([ids[0], ids[1], ids[3], ids[4]]), on: connection)
        let mark = try #require(try await watermark())
        #expect(StreamID.ascending(ids[1], mark) && StreamID.ascending(mark, ids[2]) && mark != ids[2])
        #expect(count == 4)
        guard case .created(let position, 0) = try destroyAndRecreate() else { Issue.record("not recreated"); return }
        #expect(position == mark)
        let again = try read()
        #expect(again == [ids[2], ids[3], ids[4]])
        let result = try applier.apply(counted(again), on: connection)
        #expect(result.acknowledged == 3)
        #expect(result.duplicates.map(\.id) == [ids[3], ids[4]])
        #expect(count == 5, "every entry counted once")
        #expect(try connection.send(RedisCommand("XPENDING", stream, "g")).array?.first == .integer(0))
    }

    /// A retry waiting in the book below the watermark would never come again once the pending
    /// list is gone: it is appended again for this group alone, and the book is cleared.
    @Test func aRetryWaitingBelowTheWatermarkIsReplayedForItsGroup() async throws {
        _ = try add(3)
        let ids = try read()
        _ = try applier.apply(counted([ids[0], ids[2]]), on: connection)
        let book = RetryBook(keys: keys, group: "g")
        _ = try connection.send(book.recording([RetryBook.Entry(stream: stream, id: ids[1], due: 1, deliveries: 1, reason: "gateway down")]))
        #expect(try await watermark() == ids[2], "a parked retry does not hold the watermark back")
        #expect(try destroyAndRecreate() == .created(position: ids[2], replayed: 1))
        #expect(try connection.send(RedisCommand("HLEN", book.key)).int == 0)
        let replayed = try connection.send(RedisCommand("XREVRANGE", stream, "+", "-", "COUNT", "1")).array?.first?.array?[1].fields ?? [:]
        #expect(replayed["orderId"]?.string == "o1")
        #expect(replayed[DeadLetter.replayField]?.string == "g")
        let again = try read()
        #expect(again.count == 1)
        _ = try applier.apply(counted(again), on: connection)
        #expect(count == 3)
    }

    /// A retried message acknowledged with its effects leaves the retry book in the same step.
    @Test func theRetryBookIsClearedWithTheAck() throws {
        _ = try add(1)
        let ids = try read()
        let book = RetryBook(keys: keys, group: "g")
        _ = try connection.send(book.recording([RetryBook.Entry(stream: stream, id: ids[0], due: 1, deliveries: 1, reason: "x")]))
        _ = try applier.apply(counted(ids, redelivered: true), on: connection)
        #expect(try connection.send(RedisCommand("HLEN", book.key)).int == 0)
    }

    /// The watermark only moves forward and the applied set is trimmed behind it.
    @Test func theWatermarkMovesForwardAndTheAppliedSetFollows() async throws {
        _ = try add(2)
        let first = try read()
        _ = try applier.apply(counted(first), on: connection)
        #expect(try connection.send(RedisCommand("ZCARD", records.applied(stream))).int == 2)
        _ = try await watermark()
        _ = try add(2)
        let second = try read()
        _ = try applier.apply(counted(second), on: connection)
        #expect(try await watermark() == second.last)
        let left = try connection.send(RedisCommand("ZRANGE", records.applied(stream), "0", "-1")).array?.compactMap(\.string) ?? []
        #expect(left.allSatisfy { !first.contains($0) || $0.hasPrefix(String(second.last!.split(separator: "-")[0])) },
                "ids of earlier milliseconds are trimmed: \(left)")
        // An older computation cannot move it back.
        _ = try connection.send(RedisCommand("HSET", records.positions, stream, second.last!))
        _ = try await watermark()
        #expect(try connection.send(RedisCommand("HGET", records.positions, stream)).string == second.last)
    }
}
