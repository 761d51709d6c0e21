import Contract
import Backbone
import Foundation
import Operations
import Redis
import Testing
import TestSupport

/// The operator's tools over four partitions on one real redis-server: streams summed with each
/// partition beside, dead letters from every partition with ids that say which, replays and drops
/// in the letter's own partition, an order's timeline in its own partition, and the projector's
/// keys rebuilt per partition (orders per minute in hour buckets, as the projector keeps them).
@Suite("Operations across partitions")
struct PartitionedOperationsTests {
    let space = KeySpace(partitions: 4)

    func xadd(_ connection: RedisConnection, _ stream: String, id: String = "*", type: String, orderId: String, at: Int64 = 1_700_000_000_000,
              data: String = "{}") throws -> String {
        try connection.send(RedisCommand(["XADD", stream, id, "type", type, "orderId", orderId, "at", String(at), "data", data])).string ?? ""
    }

    /// A dead letter in partition `k` of a message of `stream` (partition `k`'s order stream by default).
    func letter(_ connection: RedisConnection, partition k: Int, id: String, stream: String? = nil, orderId: String = "o-1") throws {
        let keys = space.keys(ofPartition: k)
        _ = try connection.send(RedisCommand(["XADD", keys.dead, id, "stream", stream ?? keys.stream(.order), "id", "1-1", "group", "projector",
                                              "consumer", "p-1", "deliveries", "3", "reason", "broken", "type", "OrderPlaced",
                                              "orderId", orderId, "at", "1", "data", "{}"]))
    }

    /// An order id of partition `k`.
    func order(in k: Int, _ tag: String = "o") -> String {
        (0...).lazy.map { "\(tag)-\($0)" }.first { space.partition(of: $0) == k }!
    }

    @Test func aDeadLettersIdNamesItsPartitionWhenThereAreSeveral() {
        #expect(DeadLetterID("3/1700-0", partitions: 4) == DeadLetterID(partition: 3, entry: StreamID("1700-0")!, qualified: true))
        #expect(DeadLetterID("3/1700-0", partitions: 4)?.description == "3/1700-0")
        #expect(DeadLetterID("1700-0", partitions: 4) == nil, "a plain id is ambiguous among partitions")
        #expect(DeadLetterID("1700-0", partitions: 1)?.description == "1700-0")
        #expect(DeadLetterID("0/1700-0", partitions: 1)?.description == "1700-0", "one partition prints the plain id")
        for bad in ["4/1700-0", "-1/1700-0", "/1700-0", "3/", "3/x", "a/1700-0", "3/1700-0/1", "+3/1700-0", "00003/1-0", "3/1700-0 "] {
            #expect(DeadLetterID(bad, partitions: 4) == nil, "\(bad)")
        }
        // Written order: by entry id, then partition.
        let ids = ["1/2-0", "0/3-0", "0/2-0", "3/1-5"].compactMap { DeadLetterID($0, partitions: 4) }
        #expect(ids.sorted().map(\.description) == ["3/1-5", "0/2-0", "1/2-0", "0/3-0"])
    }

    @Test func streamsAreSummedOverThePartitionsWithEachPartitionBeside() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        // Partition k holds k + 1 orders; the projector joined partitions 0…2 and was given one entry of each.
        for k in 0..<4 {
            for index in 0...k { _ = try xadd(connection, space.keys(ofPartition: k).stream(.order), type: "OrderPlaced", orderId: order(in: k, "o\(index)")) }
        }
        for k in 0..<3 {
            let stream = space.keys(ofPartition: k).stream(.order)
            _ = try connection.send(RedisCommand("XGROUP", "CREATE", stream, "projector", "0"))
            _ = try connection.send(RedisCommand("XREADGROUP", "GROUP", "projector", "p-\(k)", "COUNT", "1", "STREAMS", stream, ">"))
        }
        let streams = try await PartitionedInspector(keySpace: space, redis: client).streams()
        #expect(streams.map(\.name) == StreamName.allCases.map { "events:\($0.rawValue)" } + ["dead"])
        let order = try #require(streams.first { $0.name == "events:order" })
        #expect(order.total.key == "baedal:{*}:events:order")
        #expect(order.partitions.map(\.key) == (0..<4).map { "baedal:{\($0)}:events:order" })
        #expect(order.partitions.map(\.length) == [1, 2, 3, 4])
        #expect(order.total.length == 10)
        let projector = try #require(order.total.groups.first { $0.name == "projector" })
        #expect(projector.pending == 3)
        #expect(projector.lag == 0 + 1 + 2, "each partition's lag, summed")
        #expect(projector.consumers.map(\.name).sorted() == ["p-0", "p-1", "p-2"])
        #expect(order.partitions[3].groups.isEmpty)
        // The pending entries of every partition, each under its partition's key.
        let pending = try #require(try await PartitionedInspector(keySpace: space, redis: client).pending(group: "projector", count: 10))
        #expect(pending.map(\.partition) == [0, 1, 2])
        #expect(pending.allSatisfy { $0.entries.count == 1 && $0.entries[0].stream == "baedal:{\($0.partition)}:events:order" })
        // One untagged partition reads the contract's keys, as before partitions: nothing there.
        let untagged = try await PartitionedInspector(keySpace: KeySpace(), redis: client).streams()
        #expect(untagged.first?.total.key == "baedal:events:order" && untagged.first?.total.length == 0)
    }

    @Test func deadLettersComeFromEveryPartitionAndGoBackToTheirOwn() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        try letter(connection, partition: 3, id: "100-0")
        try letter(connection, partition: 1, id: "200-0")
        try letter(connection, partition: 3, id: "200-0")
        try letter(connection, partition: 0, id: "300-0")
        // A letter whose stream names another partition's stream: never replayed across partitions.
        try letter(connection, partition: 2, id: "400-0", stream: space.keys(ofPartition: 1).stream(.order))
        let store = DeadLetterStore(keySpace: space, redis: client)
        let all = ["3/100-0", "1/200-0", "3/200-0", "0/300-0", "2/400-0"]
        #expect(try await store.list().map(\.id) == all, "merged in the order they were written, ties by partition")
        #expect(try await store.list(count: 2).map(\.id) == Array(all[..<2]))
        #expect(try await store.list(after: "1/200-0").map(\.id) == Array(all[2...]))
        let summary = try await store.summary()
        #expect(summary.total == 5 && summary.newest == "2/400-0")
        #expect(try await store.ids(through: "3/200-0") == Array(all[..<3]))
        await #expect(throws: DeadLetterStore.Failure.notAnId("200-0"), "a plain id is ambiguous among partitions") { try await store.letter("200-0") }
        await #expect(throws: DeadLetterStore.Failure.notAnId("4/200-0")) { try await store.letter("4/200-0") }
        await #expect(throws: DeadLetterStore.Failure.notFound("2/200-0")) { try await store.letter("2/200-0") }
        await #expect(throws: DeadLetterStore.Failure.stale("2/200-0")) { try await store.ids(through: "2/200-0") }

        // A replay goes to the letter's own partition's stream, and takes the letter from its own dead stream.
        let (replayed, newId) = try await store.replay("3/200-0")
        #expect(replayed.id == "3/200-0" && replayed.group == "projector")
        let entry = try connection.send(RedisCommand("XRANGE", "baedal:{3}:events:order", newId, newId)).array?.first?.array?.last?.fields ?? [:]
        #expect(entry["replayFor"]?.string == "projector" && entry["type"]?.string == "OrderPlaced")
        #expect(try connection.send(RedisCommand("XRANGE", "baedal:{3}:dead", "200-0", "200-0")).array?.isEmpty == true)
        #expect(try connection.send(RedisCommand("XLEN", "baedal:{1}:dead")).int == 1, "the same entry id in another partition stays")
        for k in [0, 1, 2] { #expect(try connection.send(RedisCommand("EXISTS", "baedal:{\(k)}:events:order")).int == 0) }
        await #expect(throws: DeadLetterStore.Failure.self) { try await store.replay("2/400-0") }
        #expect(try connection.send(RedisCommand("EXISTS", "baedal:{1}:events:order")).int == 0, "nothing written to another partition")

        // A drop too.
        #expect(try await store.drop("0/300-0"))
        #expect(try await store.drop("0/300-0") == false)
        #expect(try connection.send(RedisCommand("XLEN", "baedal:{0}:dead")).int == 0)
        #expect(try await store.dropAll().done == ["3/100-0", "1/200-0", "2/400-0"])
        #expect(try await store.summary().total == 0)

        // One partition: the plain id, as before partitions.
        _ = try connection.send(RedisCommand(["XADD", "baedal:dead", "500-0", "stream", "baedal:events:order", "group", "g", "reason", "r"]))
        #expect(try await DeadLetterStore(keySpace: KeySpace(), redis: client).list().map(\.id) == ["500-0"])
    }

    @Test func anOrdersTimelineReadsItsOwnPartition() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        let orderId = order(in: 2)
        let own = space.keys(forOrder: orderId)
        #expect(own.tag == "2")
        _ = try xadd(connection, own.stream(.order), id: "1700000000000-0", type: "OrderPlaced", orderId: orderId)
        _ = try xadd(connection, own.stream(.store), id: "1700000001000-0", type: "OrderAccepted", orderId: orderId)
        // The same id written by hand into another partition is not the order's.
        _ = try xadd(connection, space.keys(ofPartition: 0).stream(.store), id: "1700000002000-0", type: "OrderRejected", orderId: orderId)
        let timeline = OrderTimeline(keySpace: space, orderId: orderId, redis: client)
        #expect(timeline.streamKeys.allSatisfy { $0.hasPrefix("baedal:{2}:") })
        let scan = try await timeline.scan(orderId: orderId, placedAt: 1_700_000_000_000)
        #expect(scan.events.map(\.type) == ["OrderPlaced", "OrderAccepted"])
        #expect(scan.complete)
    }

    @Test func theProjectorsKeysAreRebuiltPerPartition() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var units = [Int](repeating: 0, count: 4)
        for k in 0..<4 {
            for index in 0...k {
                let orderId = order(in: k, "r\(index)")
                let data = #"{"orderId":"\#(orderId)","customerId":"c-\#(k)","storeId":"s-1","items":[{"foodId":"chicken","qty":\#(index + 1),"price":1000}]}"#
                _ = try xadd(connection, space.keys(ofPartition: k).stream(.order), type: "OrderPlaced", orderId: orderId, at: now, data: data)
                units[k] += index + 1
            }
        }
        _ = try xadd(connection, space.keys(ofPartition: 1).stream(.order), type: "OrderPlaced", orderId: order(in: 1, "bad"), at: now, data: "not json")
        let dashboards = ProjectionRebuild(keySpace: space, redis: client, target: .dashboards)
        let built = try await dashboards.run(apply: true)
        #expect(built.read == 11 && built.malformed == 1)
        for k in 0..<4 {
            let keys = space.keys(ofPartition: k)
            #expect(try connection.send(RedisCommand("HGET", keys.dashboard(.foodOrders), "chicken")).int == units[k])
            // Orders per minute as the projector keeps them when tagged: the hour's hash, `<minute>:<status>`.
            let minute = now / 60_000
            #expect(try connection.send(RedisCommand("HGET", keys.ordersPerHour(minute / 60), "\(minute):placed")).int == k + 1)
        }
        #expect(try connection.send(RedisCommand("KEYS", "*orders-per-minute*")).array?.isEmpty == true)
        #expect(try connection.send(RedisCommand("KEYS", "*rebuild*")).array?.isEmpty == true, "no scratch key is left")
        #expect(try await dashboards.run(apply: false).differing.isEmpty)
        // A live key changed by hand is found, in its partition.
        _ = try connection.send(RedisCommand("HINCRBY", space.keys(ofPartition: 2).dashboard(.foodOrders), "chicken", "1"))
        #expect(try await dashboards.run(apply: false).differing == ["baedal:{2}:dashboard:food-orders"])

        let views = ProjectionRebuild(keySpace: space, redis: client, target: .views)
        _ = try await views.run(apply: true)
        for k in 0..<4 { #expect(try connection.send(RedisCommand("LLEN", space.keys(ofPartition: k).myOrders("c-\(k)"))).int == k + 1) }
        #expect(try await views.run(apply: false).differing.isEmpty)
        _ = try connection.send(RedisCommand("RPUSH", space.keys(ofPartition: 3).myOrders("c-9"), "o-x"))
        #expect(try await views.run(apply: false).differing == ["baedal:{3}:customer:c-9:orders"])
    }

    @Test func aTailMergesEveryPartitionsNewestEntriesInTimeOrder() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        // Ids chosen so that time order interleaves the partitions: k/ms pairs.
        let written: [(Int, String)] = [(2, "100-0"), (0, "101-0"), (3, "102-0"), (0, "103-0"), (1, "104-0"), (2, "104-0"), (3, "105-0")]
        for (k, id) in written {
            _ = try xadd(connection, space.keys(ofPartition: k).stream(.order), id: id, type: "OrderPlaced", orderId: order(in: k))
        }
        let tail = StreamTail(keySpace: space, redis: client)
        let all = try await tail.newest(.order, count: 100)
        #expect(all.map { "\($0.partition)/\($0.id)" } == ["2/100-0", "0/101-0", "3/102-0", "0/103-0", "1/104-0", "2/104-0", "3/105-0"])
        #expect(all.first?.fields.map(\.name) == ["type", "orderId", "at", "data"], "the fields as written")
        let newest = try await tail.newest(.order, count: 3)
        #expect(newest.map { "\($0.partition)/\($0.id)" } == ["1/104-0", "2/104-0", "3/105-0"], "the newest of all partitions, not of each")
        #expect(try await tail.newest(.delivery, count: 5).isEmpty, "streams that do not exist yet read as empty")
    }

    @Test func aPartitionThatCannotBeReadFailsTheTotalInsteadOfCountingAsEmpty() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let client = RedisClient(configuration: server.configuration)
        defer { client.close() }
        for k in 0..<4 { _ = try xadd(connection, space.keys(ofPartition: k).stream(.order), type: "OrderPlaced", orderId: order(in: k)) }
        let inspector = PartitionedInspector(keySpace: space, redis: client)
        #expect(try await inspector.streams().first { $0.total.key.hasSuffix(":events:order") }?.total.length == 4)
        // A stream that was never written (delivery) is absent, not an error; a partition whose key
        // answers another error (here: WRONGTYPE) fails the read as a whole.
        _ = try connection.send(RedisCommand("DEL", space.keys(ofPartition: 2).stream(.order)))
        _ = try connection.send(RedisCommand("SET", space.keys(ofPartition: 2).stream(.order), "not a stream"))
        await #expect(throws: RedisError.self) { _ = try await inspector.streams() }
    }
}
