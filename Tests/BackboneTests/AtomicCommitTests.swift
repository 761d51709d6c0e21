import Contract
import Backbone
import Foundation
import JSON
import Redis
import Testing
import TestSupport

@Suite("Atomic commit: version check, state, events and idempotency in one step", .serialized)
final class AtomicCommitTests {
    let server: RedisServer
    let keys = Keys(prefix: "t")
    let committer = AtomicCommitter()

    init() throws {
        server = try RedisServer()
    }

    func placed(_ orderId: String, version: Int, idempotencyKey: String? = nil) -> AggregateCommit {
        AggregateCommit(
            aggregateKey: keys.key("order", orderId),
            expectedVersion: version,
            state: [("status", "placed"), ("amount", "18000")],
            events: [
                (keys.stream(.order), EventEnvelope(type: "OrderPlaced", orderId: orderId, at: 1_700_000_000_000, data: #"{"orderId":"\#(orderId)"}"#)),
                (keys.stream(.payment), EventEnvelope(type: "PaymentApproved", orderId: orderId, at: 1_700_000_000_000, data: #"{"paymentId":"p1"}"#)),
            ],
            idempotency: idempotencyKey.map { .init(key: keys.idempotency("c1", key: $0), result: #"{"orderId":"\#(orderId)"}"#) }
        )
    }

    @Test func ofManyRacingCommitsOnOneVersionExactlyOneWins() async throws {
        let pool = RedisPool(configuration: server.configuration, size: 4)
        defer { pool.close() }
        let commit = placed("o1", version: 0)
        let results = try await withThrowingTaskGroup(of: CommitResult.self) { [committer] group in
            for _ in 0..<64 {
                group.addTask {
                    try await committer.commit(commit, using: pool.client)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let winners = results.filter { if case .committed = $0 { return true } else { return false } }
        #expect(winners.count == 1)
        #expect(results.filter { $0 == .conflict(currentVersion: 1) }.count == 63)
        let connection = try server.connect()
        #expect(try connection.send(RedisCommand("HGET", keys.key("order", "o1"), "version")).string == "1")
        #expect(try connection.send(RedisCommand("XLEN", keys.stream(.order))) == .integer(1))
        #expect(try connection.send(RedisCommand("XLEN", keys.stream(.payment))) == .integer(1))
    }

    @Test func committedStateAndEventsAreThereTogether() throws {
        let connection = try server.connect()
        let result = try committer.commit(placed("o2", version: 0), on: connection)
        guard case .committed(let version, let ids) = result else {
            Issue.record("expected a commit, got \(result)")
            return
        }
        #expect(version == 1)
        #expect(ids.count == 2)
        let state = try connection.send(RedisCommand("HGETALL", keys.key("order", "o2"))).array?.compactMap(\.string)
        #expect(state == ["version", "1", "status", "placed", "amount", "18000"])
        let entry = try connection.send(RedisCommand("XRANGE", keys.stream(.order), ids[0], ids[0])).array?.first?.array?[1].array?.compactMap(\.string)
        #expect(entry == ["type", "OrderPlaced", "orderId", "o2", "at", "1700000000000", "data", #"{"orderId":"o2"}"#])
        // The next command builds on version 1.
        #expect(try committer.commit(placed("o2", version: 0), on: connection) == .conflict(currentVersion: 1))
        if case .committed(let next, _) = try committer.commit(placed("o2", version: 1), on: connection) {
            #expect(next == 2)
        } else {
            Issue.record("a commit on the current version was refused")
        }
    }

    @Test func aCommitThatCannotWriteAllWritesNothing() throws {
        let connection = try server.connect()
        // The payment stream's key holds a string: the second XADD would fail.
        _ = try connection.send(RedisCommand("SET", keys.stream(.payment), "not a stream"))
        #expect(throws: RedisError.self) { try self.committer.commit(self.placed("o3", version: 0), on: connection) }
        #expect(try connection.send(RedisCommand("EXISTS", keys.key("order", "o3"))) == .integer(0))
        #expect(try connection.send(RedisCommand("EXISTS", keys.stream(.order))) == .integer(0))
        do {
            _ = try committer.commit(placed("o3", version: 0), on: connection)
        } catch {
            #expect(error.serverCode == "WRONGTYPE")
        }
    }

    /// The keys a commit writes, each of which an operator's mistake or a stray write could fill
    /// with another type: the script probes some with the reads it needs anyway (the receipt's
    /// `GET`, the version's `HGET`), lets the first `XADD` be its first write and checks the rest
    /// with `TYPE`; whichever it is, the commit is refused before anything is written.
    enum Blocker: String, CaseIterable, Sendable { case aggregate, receipt, firstStream, secondStream, snapshot, timers }

    @Test(arguments: Blocker.allCases)
    func aKeyOfAnotherTypeAnywhereRefusesTheCommitWithNothingWritten(_ blocker: Blocker) throws {
        let connection = try server.connect()
        var commit = placed("o-\(blocker)", version: 0, idempotencyKey: "k-\(blocker)")
        commit.snapshots = [.init(key: keys.key("copies", blocker.rawValue), field: "o-\(blocker)", value: "{}")]
        commit.timers = [.init(key: keys.key("timers", blocker.rawValue), member: "accept:o-\(blocker)", due: 5_000),
                         .init(key: keys.key("timers", blocker.rawValue), member: "pickup:o-\(blocker)", due: nil)]
        let written = [commit.aggregateKey, commit.idempotency!.key, keys.stream(.order), keys.stream(.payment), commit.snapshots[0].key,
                       commit.timers[0].key]
        let stray = written[Blocker.allCases.firstIndex(of: blocker)!]
        // A string, except where the commit writes a string (the receipt): there a list.
        _ = try connection.send(blocker == .receipt ? RedisCommand("RPUSH", stray, "not mine") : RedisCommand("SET", stray, "not mine"))
        do {
            _ = try committer.commit(commit, on: connection)
            Issue.record("a commit over a \(blocker) of another type went through")
        } catch {
            #expect(error.serverCode == "WRONGTYPE", "\(error)")
        }
        for key in written where key != stray {
            #expect(try connection.send(RedisCommand("EXISTS", key)).int == 0, "\(key) was written")
        }
        #expect(try connection.send(RedisCommand("TYPE", stray)) == .status(blocker == .receipt ? "list" : "string"))
        _ = try connection.send(RedisCommand("DEL", stray))
        guard case .committed = try committer.commit(commit, on: connection) else {
            Issue.record("without the stray key the commit goes through")
            return
        }
        #expect(try connection.send(RedisCommand("HGET", commit.snapshots[0].key, "o-\(blocker)")).string == "{}")
        // The timer set, the other cleared, in the same step.
        #expect(try connection.send(RedisCommand("ZSCORE", commit.timers[0].key, "accept:o-\(blocker)")).string == "5000")
        #expect(try connection.send(RedisCommand("ZCARD", commit.timers[0].key)).int == 1)
    }

    @Test func theSameIdempotencyKeyReturnsTheFirstResultAndWritesNothingMore() throws {
        let connection = try server.connect()
        let first = try committer.commit(placed("o4", version: 0, idempotencyKey: "k-1"), on: connection)
        guard case .committed = first else {
            Issue.record("expected a commit, got \(first)")
            return
        }
        // A retry of the same request (even one that would otherwise conflict) gets the first result.
        for version in [0, 1] {
            #expect(try committer.commit(placed("o4", version: version, idempotencyKey: "k-1"), on: connection)
                    == .duplicate(firstResult: #"{"orderId":"o4"}"#))
        }
        #expect(try connection.send(RedisCommand("XLEN", keys.stream(.order))) == .integer(1))
        #expect(try connection.send(RedisCommand("HGET", keys.key("order", "o4"), "version")).string == "1")
        let ttl = try connection.send(RedisCommand("PTTL", keys.idempotency("c1", key: "k-1"))).int ?? -1
        #expect(ttl > 0)
        // Another key is another request.
        #expect(try committer.commit(placed("o5", version: 0, idempotencyKey: "k-2"), on: connection) != .duplicate(firstResult: #"{"orderId":"o4"}"#))
    }

    @Test func aBlockingKeyRefusesTheCommitAndWritesNothing() throws {
        let connection = try server.connect()
        var commit = placed("o-blocked", version: 0)
        commit.blockedBy = keys.key("payment-void", "o-blocked")
        _ = try connection.send(RedisCommand("SET", commit.blockedBy!, "1"))
        #expect(try committer.commit(commit, on: connection) == .blocked)
        #expect(try connection.send(RedisCommand("EXISTS", commit.aggregateKey)).int == 0)
        #expect(try connection.send(RedisCommand("XLEN", keys.stream(.order))).int == 0)
        _ = try connection.send(RedisCommand("DEL", commit.blockedBy!))
        guard case .committed(let version, let ids) = try committer.commit(commit, on: connection) else {
            Issue.record("without the blocking key the commit goes through")
            return
        }
        #expect(version == 1)
        #expect(ids.count == 2)
    }
}
