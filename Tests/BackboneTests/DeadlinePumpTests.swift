import Backbone
import Contract
import Foundation
import Logging
import Redis
import Testing
import TestSupport

/// Issue 24: the runtime's durable timers. One pass moves every due timer to the stream once, with
/// its removal; hostile members and scores (anyone may write the set with redis-cli) are removed or
/// bounded, never trapped on.
@Suite("Deadline pump", .serialized)
final class DeadlinePumpTests {
    let server: RedisServer
    let keys = Keys(prefix: "t")

    init() throws { server = try RedisServer() }

    func pump(now: Int64, batch: Int = 100) -> DeadlinePump {
        DeadlinePump(timers: keys.deadlines, stream: keys.stream(.deadlines), redis: server.configuration, now: { now }, batch: batch,
                     logger: Logger(label: "test"))
    }

    func entries(_ connection: RedisConnection) throws -> [[String: String]] {
        (try connection.send(RedisCommand("XRANGE", keys.stream(.deadlines), "-", "+")).array ?? []).map { entry in
            var fields: [String: String] = [:]
            for (name, value) in (entry.array?.last ?? .null).pairs { fields[name.string ?? ""] = value.string }
            return fields
        }
    }

    @Test func dueTimersAreToldOnceAndTheRestWait() async throws {
        let connection = try server.connect()
        for (member, score) in [("accept:o-1", "1000"), ("pickup:o-2", "2000"), ("accept:o-3", "9000")] {
            _ = try connection.send(RedisCommand("ZADD", keys.deadlines, score, member))
        }
        let first = try await pump(now: 5_000).pass()
        #expect(first.moved == 2 && first.waiting == 1 && first.nextDue == 9_000 && first.malformed == 0, "\(first)")
        let told = try entries(connection)
        #expect(told.map { $0["orderId"] } == ["o-1", "o-2"])
        #expect(told.map { $0["type"] } == ["DeadlineDue", "DeadlineDue"])
        #expect(told.first?["data"] == #"{"orderId":"o-1","deadline":"accept","due":1000}"#)
        #expect(told.first?["at"] == "5000")
        // Told once: a second pump, a second pass, find nothing due.
        let again = try await pump(now: 5_000).pass()
        #expect(again.moved == 0)
        #expect(try entries(connection).count == 2)
        // A batch at a time.
        for index in 0..<250 { _ = try connection.send(RedisCommand("ZADD", keys.deadlines, "100", "accept:o-b\(index)")) }
        let batched = try await pump(now: 5_000, batch: 100).pass()
        #expect(batched.moved == 100 && batched.nextDue == 100, "more are due: the next is overdue")
    }

    @Test func handWrittenMembersAndScoresAreRemovedOrBoundedNeverTrappedOn() async throws {
        let connection = try server.connect()
        _ = try connection.send(RedisCommand("DEL", keys.deadlines, keys.stream(.deadlines)))
        for (member, score) in [("garbage", "0"), ("accept:", "1"), (":o-1", "2"), ("ACCEPT:o-1", "3"), ("accept:o:1", "4"),
                                ("pickup:o-2", "-1e19"), ("accept:\"quoted\\", "5")] {
            _ = try connection.send(RedisCommand("ZADD", keys.deadlines, score, member))
        }
        // The next one far in the past and far in the future.
        _ = try connection.send(RedisCommand("ZADD", keys.deadlines, "-inf", "accept:o-min"))
        let pass = try await pump(now: 10, batch: 5).pass()
        #expect(pass.moved + pass.malformed == 5)
        var total = pass
        while total.waiting > 0 {
            let next = try await pump(now: 10, batch: 5).pass()
            total.moved += next.moved
            total.malformed += next.malformed
            total.waiting = next.waiting
        }
        #expect(total.malformed == 5, "garbage, accept:, :o-1, ACCEPT:o-1, accept:o:1")
        #expect(total.moved == 3)
        for entry in try entries(connection) {
            let data = try #require(entry["data"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any], "\(data)")
            #expect((object["due"] as? Int).map { $0 >= 0 } == true, "\(data)")
        }
        // A set of another type refuses the pass with nothing written.
        _ = try connection.send(RedisCommand("DEL", keys.deadlines))
        _ = try connection.send(RedisCommand("SET", keys.deadlines, "not mine"))
        await #expect(throws: RedisError.self) { try await self.pump(now: 10).pass() }
        _ = try connection.send(RedisCommand("DEL", keys.deadlines))
    }
}
