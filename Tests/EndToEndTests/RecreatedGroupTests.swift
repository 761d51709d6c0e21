import Foundation
import Redis
import Testing
import TestSupport

/// A consumer group destroyed under its running workers (`XGROUP DESTROY`, a restore that lacks
/// it) is made again at its recorded watermark: what its effects hold is not applied again —
/// dashboards, views, boards, inboxes, announcements, dead letters and webhook calls stay as they
/// were — and the next order is handled exactly once (issue 18, item 5). Every group of every
/// policy at once, the webhook's included.
@Suite("Recreated consumer groups apply nothing twice", .serialized)
struct RecreatedGroupTests {
    static let streams = ["order", "store", "delivery", "payment", "payment-voids", "notify-webhook"].map { "baedal:events:\($0)" }

    /// Every key the policies write, as text that compares: the deployment's state minus the
    /// groups' own bookkeeping and the streams' consumer groups.
    static func snapshot(_ connection: RedisConnection) throws -> [String: String] {
        var state: [String: String] = [:]
        var cursor = "0"
        repeat {
            let reply = try connection.send(RedisCommand("SCAN", cursor, "MATCH", "baedal:*", "COUNT", "1000"))
            cursor = reply.array?.first?.string ?? "0"
            for key in reply.array?.last?.array?.compactMap(\.string) ?? [] where !key.hasPrefix("baedal:group:") && !key.hasPrefix("baedal:retry:") {
                let type = try connection.send(RedisCommand("TYPE", key)).string ?? "none"
                let value: RESPValue = switch type {
                case "hash": try connection.send(RedisCommand("HGETALL", key))
                case "zset": try connection.send(RedisCommand("ZRANGE", key, "0", "-1", "WITHSCORES"))
                case "list": try connection.send(RedisCommand("LRANGE", key, "0", "-1"))
                case "stream": try connection.send(RedisCommand("XRANGE", key, "-", "+"))
                case "string": try connection.send(RedisCommand("GET", key))
                default: .null
                }
                state[key] = "\(type) " + (type == "hash" ? value.pairs.map { "\($0.name.string ?? "")=\($0.value.string ?? "")" }.sorted().joined(separator: ",") : "\(value)")
            }
        } while cursor != "0"
        return state
    }

    /// Every group on every stream: its name, lag and pending count.
    static func groups(_ connection: RedisConnection) throws -> [(stream: String, name: String, lag: Int?, pending: Int)] {
        try streams.flatMap { stream -> [(String, String, Int?, Int)] in
            guard try connection.send(RedisCommand("EXISTS", stream)).int == 1 else { return [] }
            return try (connection.send(RedisCommand("XINFO", "GROUPS", stream)).array ?? []).map { group in
                let fields = group.fields
                return (stream, fields["name"]?.string ?? "?", fields["lag"]?.int, fields["pending"]?.int ?? -1)
            }
        }
    }

    /// Nothing left to deliver or acknowledge, and every group's watermark recorded where it stands.
    static func settled(_ connection: RedisConnection, expecting count: Int) -> Bool {
        guard let groups = try? groups(connection), groups.count == count else { return false }
        return groups.allSatisfy { group in
            guard group.lag == 0, group.pending == 0 else { return false }
            let info = (try? connection.send(RedisCommand("XINFO", "GROUPS", group.stream)).array) ?? []
            let last = info.first { $0.fields["name"]?.string == group.name }?.fields["last-delivered-id"]?.string
            return (try? connection.send(RedisCommand("HGET", "baedal:group:\(group.name):positions", group.stream)).string) == last
        }
    }

    @Test func everyGroupDestroyedUnderItsWorkersAppliesNothingTwice() async throws {
        let receiver = try WebhookReceiver()
        let deployment = try await Deployment(workers: [])
        for policy in Deployment.policies where policy != "notification" { try deployment.startWorker(policy) }
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": receiver.url])
        let connection = try deployment.primary()
        let customer = try await deployment.customer("c-regroup")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let rider = try await deployment.rider("r-regroup")
        // An order's whole life, a cancelled one, two placed ones, and a garbage entry every
        // group of the order stream dead-letters.
        let whole = try await deployment.placed(customer, items: [("fried-chicken", 2), ("cola", 1)])
        for step in ["accept", "start-cooking", "finish-cooking"] {
            #expect(try await deployment.call("POST", "/orders/\(whole)/\(step)", token: owner).status == 200)
        }
        try #require(await eventually { (try? deployment.eventTypes("delivery", orderId: whole))?.contains("DeliveryOpened") == true })
        #expect(try await deployment.call("POST", "/deliveries/\(whole)/pick", token: rider).status == 200)
        #expect(try await deployment.call("POST", "/deliveries/\(whole)/deliver", token: rider).status == 200)
        #expect(try await deployment.call("POST", "/orders/\(whole)/confirm", token: customer).status == 200)
        let cancelled = try await deployment.placed(customer)
        #expect(try await deployment.call("POST", "/orders/\(cancelled)/cancel", token: customer).status == 200)
        _ = try await deployment.placed(customer)
        _ = try await deployment.placed(customer, items: [("cola", 3)])
        _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-garbage", "at", "1", "data", "{not json")

        let names = try Self.groups(connection).map(\.name)
        #expect(names.count == 15, "store-inbox 1, payment-refund 4, delivery-dispatch 3, notification 3, projector 3, webhook 1: \(names)")
        try #require(await eventually(seconds: 60) { Self.settled(connection, expecting: 15) }, "\(deployment.logs)")
        let before = try Self.snapshot(connection)
        let calls = receiver.requests.count
        let letters = try deployment.redisCommand("XLEN", "baedal:dead").int ?? 0
        #expect(letters == 3, "the garbage, once per group of the order stream that reads its data")

        for group in try Self.groups(connection) {
            _ = try connection.send(RedisCommand("XGROUP", "DESTROY", group.stream, group.name))
        }
        // The workers find their groups gone and make them again, each at its watermark.
        try #require(await eventually(seconds: 60) { Self.settled(connection, expecting: 15) }, "\(deployment.logs)")
        let recreated = deployment.workers.values.flatMap { $0 }.map(\.log).joined().components(separatedBy: "recreated at its recorded watermark").count - 1
        #expect(recreated >= 15, "every group was made again at its watermark (\(recreated) log lines)")
        let after = try Self.snapshot(connection)
        for key in Set(before.keys).union(after.keys) where before[key] != after[key] {
            Issue.record("\(key) changed:\n  before \(before[key]?.prefix(300) ?? "-")\n  after  \(after[key]?.prefix(300) ?? "-")")
        }
        #expect(receiver.requests.count == calls, "no webhook call again")

        // The groups work: the next order is handled once by every policy.
        let next = try await deployment.placed(customer)
        try #require(await eventually {
            (try? await deployment.call("GET", "/customers/me/notifications", token: customer))?.array.contains { $0["orderId"] as? String == next } == true
        })
        try #require(await eventually(seconds: 60) { Self.settled(connection, expecting: 15) })
        let notes = try await deployment.call("GET", "/customers/me/notifications", token: customer).array.filter { $0["orderId"] as? String == next }
        #expect(notes.count == 1)
        for target in ["dashboards", "views"] {
            let rebuild = try BaedalProcess("baedalctl", ["rebuild", target], environment: deployment.base)
            #expect(await rebuild.waitForExit() == 0, "\(rebuild.log)")
        }
        let board = try await deployment.call("GET", "/stores/s-gangnam-chicken/orders", token: owner).array.compactMap { $0["orderId"] as? String }
        #expect(board.filter { $0 == next }.count == 1)
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == letters)
        #expect(try deployment.eventTypes("delivery", orderId: whole) == ["DeliveryOpened", "DeliveryPicked", "DeliveryCompleted"])
    }
}
