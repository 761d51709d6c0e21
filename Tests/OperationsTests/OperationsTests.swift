import Contract
import Backbone
import Operations
import Redis
import Testing
import TestSupport

/// The operator's tools against a real redis-server: what the console and baedalctl share.
@Suite("Operations: timeline, autoscaler report, dead letters")
struct OperationsTests {
    let keys = Keys()

    func entry(_ connection: RedisConnection, _ stream: String, id: String, type: String, orderId: String) throws {
        _ = try connection.send(RedisCommand(["XADD", stream, id, "type", type, "orderId", orderId, "at", String(id.split(separator: "-")[0]), "data", "{}"]))
    }

    @Test func theTimelineReadsFromJustBeforePlacedAtAndNoFurtherThanItsBudget() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        let order = keys.stream(.order), payment = keys.stream(.payment), store = keys.stream(.store)
        let placedAt: Int64 = 1_700_000_100_000
        try entry(connection, order, id: "1700000000000-0", type: "OrderPlaced", orderId: "o-1")  // 100 s before: outside the window
        try entry(connection, order, id: "1700000090000-0", type: "OrderPlaced", orderId: "o-1")  // 10 s before: outside, but for payments
        try entry(connection, payment, id: "1700000050000-0", type: "PaymentApproved", orderId: "o-1")  // 50 s before placing
        try entry(connection, order, id: "1700000100000-0", type: "OrderPlaced", orderId: "o-1")
        for index in 0..<25 { try entry(connection, store, id: "\(1_700_000_100_001 + Int64(index))-0", type: "OrderAccepted", orderId: "o-other") }
        try entry(connection, store, id: "1700000200000-0", type: "OrderAccepted", orderId: "o-1")

        let timeline = OrderTimeline(keys: keys, redis: client, budget: 10, pageSize: 5)
        let first = try await timeline.scan(orderId: "o-1", placedAt: placedAt)
        #expect(first.events.map(\.type) == ["PaymentApproved", "OrderPlaced"])
        #expect(!first.complete, "the store stream goes on beyond the budget")
        #expect(first.scanned <= 2 + 10 + 0, "at most the budget per stream: \(first.scanned)")
        #expect(first.cursors[store] == "1700000100010-0")
        // Going on from the cursors reaches the rest, a budget at a time.
        var cursors = first.cursors
        var found = first.events.map(\.type)
        for _ in 0..<5 {
            let next = try await timeline.scan(orderId: "o-1", placedAt: placedAt, after: cursors)
            found += next.events.map(\.type)
            cursors = next.cursors
            if next.complete { break }
        }
        #expect(found == ["PaymentApproved", "OrderPlaced", "OrderAccepted"])
        let idle = try await timeline.scan(orderId: "o-1", placedAt: placedAt, after: cursors)
        #expect(idle.events.isEmpty && idle.complete && idle.scanned == 0)
        // Without a record, the newest entries of each stream.
        let unknown = try await timeline.scan(orderId: "o-other", placedAt: nil)
        #expect(unknown.events.count == 4 && unknown.events.allSatisfy { $0.type == "OrderAccepted" })  // the newest 5 of the store stream hold 4
    }

    @Test func theAutoscalerIsShownOnlyWhileItsReportIsFresh() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        let now: Int64 = 1_700_000_000_000
        _ = try connection.send(RedisCommand([
            "HSET", "baedal:autoscaler",
            "projector", #"{"policy":"projector","min":1,"max":4,"running":2,"wanted":3,"backlog":12345,"lagPerInstance":5000,"at":\#(now - 14_000)}"#,
            "notification", #"{"policy":"notification","min":1,"max":2,"running":1,"wanted":1,"backlog":0,"lagPerInstance":5000,"at":\#(now - 16_000)}"#,
            "store-inbox", "not json",
        ]))
        let policies = try await AutoscalerReport(keys: keys, redis: client).policies(now: now)
        #expect(policies.map(\.policy) == ["projector"], "a 16 s old report and one that is not JSON are left out")
        let projector = try #require(policies.first)
        #expect([projector.min, projector.max, projector.running, projector.wanted, projector.backlog, projector.lagPerInstance]
            == [1, 4, 2, 3, 12_345, 5_000])
        #expect(projector.at == now - 14_000)
    }

    @Test func allMeansUpToTheLetterTheOperatorSaw() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        var ids: [String] = []
        for index in 1...2_500 {
            ids.append(try connection.send(RedisCommand(["XADD", "baedal:dead", "\(index)-0", "stream", "s", "group", "g", "reason", "r"])).string!)
        }
        let store = DeadLetterStore(keys: keys, redis: client)
        #expect(try await store.ids() == ids)
        #expect(try await store.ids(through: "2001-0") == Array(ids[..<2001]))
        await #expect(throws: DeadLetterStore.Failure.notAnId("x")) { try await store.ids(through: "x") }
        await #expect(throws: DeadLetterStore.Failure.notFound("9999-0")) { try await store.letter("9999-0") }
    }
}
