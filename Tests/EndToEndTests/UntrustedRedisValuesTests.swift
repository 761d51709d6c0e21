import Foundation
import Redis
import Testing
import TestSupport

/// One value in Redis or one stream entry must not kill a daemon, and one poison entry must not
/// hold up or doom the entries read with it (issue 18, items 1–4). Real processes, real Redis:
/// the values are written with the commands an attacker or a slip of `redis-cli` would use.
@Suite("Untrusted values in Redis: no daemon dies, no batch is stranded", .serialized)
struct UntrustedRedisValuesTests {
    /// Item 1: the console polls `/console/api/streams` every second and `baedalctl status` reads
    /// the same hash: an autoscaler view with an extreme number trapped in both.
    @Test(arguments: [
        #"{"policy":"projector","min":1,"max":4,"running":1,"wanted":1,"backlog":0,"lagPerInstance":5000,"at":1700000000000,"lag":0,"pending":0,"intervalMs":9223372036854775807}"#,
        #"{"policy":"projector","min":1,"max":4,"running":1,"wanted":1,"backlog":0,"lagPerInstance":5000,"at":-9223372036854775808,"lag":0,"pending":0,"intervalMs":5000}"#,
    ])
    func anAbsurdAutoscalerViewKillsNeitherTheConsoleNorStatus(_ value: String) async throws {
        let deployment = try await Deployment(workers: [])
        _ = try deployment.redisCommand("HSET", "baedal:autoscaler", "projector", value)
        let streams = try await deployment.call("GET", "/console/api/streams", token: try await deployment.operator())
        #expect(streams.status == 200, "\(streams.body)")
        #expect(!(streams.body.contains("\"autoscaler\":[{")), "a view that cannot be the autoscaler's is not shown")
        #expect(deployment.api?.isRunning == true, "\(deployment.logs)")
        let status = try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["status"], environment: deployment.base)
        #expect(status.status == 0, "\(status.output)")
        let json = try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["status", "--json"], environment: deployment.base)
        #expect(json.status == 0, "\(json.output)")
    }

    /// Item 2: a payment void whose `at` is the smallest 64-bit number trapped `payment-refund`
    /// on every restart, and again when its dead letter was replayed.
    @Test func aPaymentVoidWithAnAbsurdTimeIsDeadLetteredAndItsReplayKillsNothing() async throws {
        let deployment = try await Deployment(workers: ["payment-refund"])
        _ = try deployment.redisCommand("XADD", "baedal:events:payment-voids", "*", "type", "PaymentVoidRequested", "orderId", "o-v",
                                        "at", "-9223372036854775808", "data", #"{"orderId":"o-v","customerId":"c-v","reason":"x"}"#)
        func letters() throws -> [RESPValue] { try deployment.redisCommand("XRANGE", "baedal:dead", "-", "+").array ?? [] }
        try #require(await eventually { (try? letters().count) == 1 }, "\(deployment.logs)")
        let reason = try letters()[0].array?[1].fields["reason"]?.string ?? ""
        #expect(reason.contains("'at'"), "\(reason)")
        let worker = try #require(deployment.workers["payment-refund"]?.first)
        #expect(worker.isRunning, "\(worker.log)")
        // Replayed from the console: dead-lettered again, the worker still standing.
        let id = try #require(try letters()[0].array?.first?.string)
        let replay = try await deployment.call("POST", "/console/api/dead/\(id)/replay", token: try await deployment.operator())
        #expect(replay.status == 200, "\(replay.body)")
        try #require(await eventually {
            (try? letters().count) == 1 && (try? letters()[0].array?.first?.string) != id
                && (try? deployment.redisCommand("XPENDING", "baedal:events:payment-voids", "payment-refund").array?.first) == .integer(0)
        }, "\(worker.log)")
        #expect(worker.isRunning, "\(worker.log)")
    }

    /// Item 3: an order hash whose `placedAt` is the smallest 64-bit number trapped the API in
    /// the console's timeline. A hash no commit could have written is no order.
    @Test func aCorruptOrderHashIsNoOrderAndKillsNothing() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-corrupt")
        let orderId = try await deployment.placed(customer)
        for (field, value) in [("placedAt", "-9223372036854775808"), ("placedAt", "9223372036854775807"), ("amount", "-1"),
                               ("customerId", "c-corrupt\u{301}")] {
            _ = try deployment.redisCommand("HSET", "baedal:order:\(orderId)", field, value)
            let page = try await deployment.call("GET", "/console/api/orders/\(orderId)", token: try await deployment.operator())
            #expect(page.status == 200, "\(field)=\(value): \(page.body)")
            #expect(page.object["order"] is NSNull || page.object["order"] == nil, "\(field)=\(value): \(page.body)")
            let own = try await deployment.call("GET", "/orders/\(orderId)", token: customer)
            #expect(own.status == 404, "\(field)=\(value): \(own.body)")
            #expect(deployment.api?.isRunning == true, "\(deployment.logs)")
        }
    }

    /// Item 4: an entry with thousands of fields could not be dead-lettered (a script cannot pass
    /// that many arguments), so the paid orders read in the same batch stayed pending past the
    /// delivery limit and were buried instead of handled. Now the poison is dead-lettered in part
    /// and the orders read with it reach the store's board on their first delivery.
    @Test func anEntryTooLargeToCopyIsDeadLetteredAndTheOrdersReadWithItAreHandled() async throws {
        let deployment = try await Deployment(workers: [])
        var poison = ["XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-poison", "at", "1", "data", "{"]
        for index in 0..<4_500 { poison += ["extra\(index)", "x"] }
        _ = try deployment.primary().send(RedisCommand(poison))
        let customer = try await deployment.customer("c-batch")
        var orders: [String] = []
        for _ in 0..<3 { orders.append(try await deployment.placed(customer)) }
        try deployment.startWorker("store-inbox")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        try #require(await eventually {
            let board = try? await deployment.call("GET", "/stores/s-gangnam-chicken/orders", token: owner)
            return Set((board?.array ?? []).compactMap { $0["orderId"] as? String }).isSuperset(of: orders)
        }, "\(deployment.logs)")
        let letters = try deployment.redisCommand("XRANGE", "baedal:dead", "-", "+").array ?? []
        #expect(letters.count == 1)
        let fields = letters.first?.array?[1].fields ?? [:]
        #expect(fields["orderId"]?.string == "o-poison")
        #expect(fields["truncated"]?.string?.contains("4504 fields") == true, "\(fields["truncated"]?.string ?? "-")")
        #expect(try deployment.redisCommand("XPENDING", "baedal:events:order", "store-inbox").array?.first == .integer(0))
        // Each order was delivered once: nothing waited for a retry.
        #expect(deployment.workers["store-inbox"]?.first?.log.contains("handling failed") == false)
        // A letter kept in part is for reading and dropping, not replaying.
        let id = try #require(letters.first?.array?.first?.string)
        let replay = try await deployment.call("POST", "/console/api/dead/\(id)/replay", token: try await deployment.operator())
        #expect(replay.status == 409 && replay.body.contains("not_replayable"), "\(replay.status) \(replay.body)")
    }
}
