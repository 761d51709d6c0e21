import Foundation
import Testing
import TestSupport

/// The console's edges (issue 18, items 8, 9, 11 and the Idempotency-Key decision): security
/// headers on every answer under `/console`, clear answers for the operator's mistakes and
/// races, and error messages that say things once.
@Suite("Console and API edges", .serialized)
struct ConsoleEdgeTests {
    static func hasSecurityHeaders(_ reply: Deployment.Reply) -> Bool {
        reply.header("Content-Security-Policy")?.contains("default-src 'none'") == true
            && reply.header("X-Content-Type-Options") == "nosniff" && reply.header("Referrer-Policy") == "no-referrer"
    }

    /// Item 8: 404, 405, 431 and 503 answers under /console carry CSP, nosniff and Referrer-Policy.
    @Test func everyConsoleAnswerCarriesTheSecurityHeaders() async throws {
        let deployment = try await Deployment(workers: [])
        let ops = try await deployment.operator()
        for (method, path) in [("GET", "/console/nope"), ("GET", "/console/api/nope"), ("DELETE", "/console"), ("GET", "/console"),
                               ("POST", "/console/api/streams"), ("GET", "/console/api/dead/1-2-/replay")] {
            let reply = try await deployment.call(method, path, token: ops)
            #expect(Self.hasSecurityHeaders(reply), "\(method) \(path): \(reply.status) \(reply.headers)")
        }
        let huge = try await deployment.call("GET", "/console/api/streams", token: ops, headers: [("X-Big", String(repeating: "a", count: 100_000))])
        #expect(huge.status == 431 && Self.hasSecurityHeaders(huge), "\(huge.status) \(huge.headers)")
        // The backbone down: 503, with the headers.
        deployment.redis.stop()
        let down = try await deployment.call("GET", "/console/api/streams", token: ops)
        #expect(down.status == 503 && Self.hasSecurityHeaders(down), "\(down.status) \(down.headers)")
        // Outside the console nothing changes.
        #expect(try await deployment.call("GET", "/health/live").header("Content-Security-Policy") == nil)
    }

    /// Item 9: ids Redis would refuse are 400; racing replays of one letter give one winner and
    /// 404s; racing replay-alls share the work without a 500; a letter that cannot go back is
    /// reported on its own while the rest go on; `through` and `after` cursors nobody was given
    /// are refused.
    @Test func deadLetterActionsAnswerClearlyThroughMistakesAndRaces() async throws {
        let deployment = try await Deployment(workers: ["projector"])
        let ops = try await deployment.operator()
        for id in ["1-2-", "-1-2", "1--2", "+1-2", "1"] {
            let reply = try await deployment.call("POST", "/console/api/dead/\(id)/replay", token: ops)
            #expect(reply.status == 400, "\(id): \(reply.status) \(reply.body)")
        }
        func garbage(_ count: Int) throws {
            for index in 0..<count {
                _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-g\(index)", "at", "1", "data", "{")
            }
        }
        func letters() throws -> [String] { (try deployment.redisCommand("XRANGE", "baedal:dead", "-", "+").array ?? []).compactMap { $0.array?.first?.string } }
        try garbage(1)
        try #require(await eventually { (try? letters().count) == 1 })
        let one = try letters()[0]
        let racing = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<10 { group.addTask { try await deployment.call("POST", "/console/api/dead/\(one)/replay", token: ops).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(racing.filter { $0 == 200 }.count == 1 && racing.filter { $0 == 404 }.count == 9, "\(racing)")

        // A letter whose stream names a key of another type, among good ones.
        try #require(await eventually { (try? letters().count) == 1 })  // the replayed one is dead again
        try garbage(5)
        try #require(await eventually { (try? letters().count) == 6 })
        let all = try letters()
        _ = try deployment.redisCommand("XADD", "baedal:dead", "*", "stream", "baedal:dashboard:food-orders", "id", "1-0", "group", "projector",
                                        "consumer", "c", "deliveries", "1", "reason", "made up", "type", "OrderPlaced", "orderId", "o-x")
        let foreign = try letters().last!
        let stale = try await deployment.call("POST", "/console/api/dead/replay-all", token: ops, body: #"{"through":"99999999999999-0"}"#)
        #expect(stale.status == 409 && stale.body.contains("stale"), "\(stale.status) \(stale.body)")
        let racers = try await withThrowingTaskGroup(of: Deployment.Reply.self) { group in
            for _ in 0..<3 {
                group.addTask { try await deployment.call("POST", "/console/api/dead/replay-all", token: ops, body: #"{"through":"\#(foreign)"}"#) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(racers.allSatisfy { $0.status == 200 || $0.status == 409 }, "\(racers.map { "\($0.status) \($0.body)" })")
        let replayed = racers.compactMap { $0.object["replayed"] as? Int }.reduce(0, +)
        #expect(replayed == all.count, "every letter replayed once across the racers: \(racers.map(\.body))")
        let failed = racers.flatMap { ($0.object["failed"] as? [[String: Any]]) ?? [] }
        #expect(failed.contains { ($0["id"] as? String) == foreign && (($0["reason"] as? String) ?? "").contains("not one of this deployment's event streams") },
                "\(racers.map(\.body))")
        let single = try await deployment.call("POST", "/console/api/dead/\(foreign)/replay", token: ops)
        #expect(single.status == 409 && single.body.contains("not_replayable"), "\(single.body)")

        // Timeline cursors: malformed or beyond the stream's newest id.
        let orderId = "o-g0"
        for after in ["0_1-2-", "0_99999999999999-0"] {
            let reply = try await deployment.call("GET", "/console/api/orders/\(orderId)?after=\(after)", token: ops)
            #expect(reply.status == 400, "\(after): \(reply.status) \(reply.body)")
        }
    }

    /// Item 11 and the Idempotency-Key decision.
    @Test func messagesSayThingsOnceAndAReusedKeyWithAnotherRequestIs422() async throws {
        let deployment = try await Deployment(workers: [])
        let reply = try await deployment.call("GET", "/stores/s%C2%B9/menu")
        #expect(reply.status == 400)
        let message = reply.object["message"] as? String ?? ""
        #expect(message.components(separatedBy: "ids are").count == 2, "\(message)")
        let customer = try await deployment.customer("c-key")
        let first = try await deployment.placeOrder(customer, key: "k-1")
        #expect(first.status == 201)
        let same = try await deployment.placeOrder(customer, key: "k-1")
        #expect(same.status == 201 && same.object["orderId"] as? String == first.object["orderId"] as? String)
        let other = try await deployment.placeOrder(customer, items: [("cola", 2)], key: "k-1")
        #expect(other.status == 422 && other.body.contains("idempotency_key_mismatch"), "\(other.status) \(other.body)")
        #expect(try deployment.streamLength("order") == 1, "one order")
    }
}
