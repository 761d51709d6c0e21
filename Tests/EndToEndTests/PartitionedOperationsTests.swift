import Contract
import Foundation
import Redis
import Testing
import TestSupport

/// The operator's side of a partitioned backbone, with real processes: `baedalctl status`,
/// `pending`, `dead`, `trim` and `rebuild` and the console over four partitions on one Redis (the
/// projector's own keys rebuilt equal, each policy's backlog summed over the partitions), another
/// partition count refused (exit 2), and baedalctl on a three-primary Redis Cluster (every command
/// routed to its partition's primary, the cluster's nodes and the partitions each serves shown).
@Suite("Operations over partitions: baedalctl, the console, a cluster", .serialized)
struct PartitionedOperationsTests {
    let space = KeySpace(partitions: 4)

    func baedalctl(_ arguments: [String], _ environment: [String: String]) async throws -> (status: Int32?, output: String) {
        let process = try BaedalProcess("baedalctl", arguments, environment: environment)
        let status = await process.waitForExit(seconds: 60)
        return (status, process.log)
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// A policy's backlog as `status --json` sums it, and per partition (with `--partitions`).
    func backlog(_ document: [String: Any], _ policy: String) -> Int? {
        (document["policies"] as? [[String: Any]])?.first { $0["policy"] as? String == policy }?["backlog"] as? Int
    }

    func stream(_ streams: Any?, _ name: String) -> [String: Any]? {
        (streams as? [[String: Any]])?.first { ($0["stream"] as? String)?.hasSuffix(":\(name)") == true }
    }

    @Test func baedalctlAndTheConsoleSeeEveryPartition() async throws {
        let deployment = try await Deployment(environment: ["BAEDAL_PARTITIONS": "4", "BAEDAL_MAX_DELIVERIES": "2"])
        let environment = deployment.base
        let connection = try deployment.redis.connect()
        func length(_ key: String) -> Int { (try? connection.send(RedisCommand("XLEN", key)).int) ?? 0 }
        var orders: [String] = []
        for index in 1...8 { orders.append(try await deployment.placed(try await deployment.customer("c-\(index)"))) }
        #expect(Set(orders.map(space.partition(of:))).count > 1, "the orders spread over partitions")
        // Every policy drains every partition: status sums their backlogs.
        var document: [String: Any] = [:]
        let drained = await eventually(seconds: 30) {
            guard let status = try? await self.baedalctl(["status", "--json"], environment), status.status == 0 else { return false }
            document = self.json(status.output)
            return ["store-inbox", "projector", "notification"].allSatisfy { self.backlog(document, $0) == 0 }
        }
        try #require(drained, "\(document)\n\(deployment.logs)")
        #expect(document["partitions"] as? Int == 4)
        let order = try #require(stream(document["streams"], "events:order"))
        #expect(order["stream"] as? String == "baedal:{*}:events:order")
        #expect(order["length"] as? Int == 8)
        #expect(document["perPartition"] == nil, "each partition only on request")

        // Per partition: each one's own stream and backlogs, and the table.
        let detailed = json(try await baedalctl(["status", "--json", "--partitions"], environment).output)
        let parts = try #require(detailed["perPartition"] as? [[String: Any]])
        #expect(parts.map { $0["partition"] as? Int } == [0, 1, 2, 3])
        for (k, part) in parts.enumerated() {
            let own = stream(part["streams"], "events:order")
            #expect(own?["stream"] as? String == "baedal:{\(k)}:events:order")
            #expect(own?["length"] as? Int == orders.filter { space.partition(of: $0) == k }.count)
            #expect(part["slot"] as? Int == Int(HashSlot(key: "baedal:{\(k)}:dead").value))
        }
        let table = try await baedalctl(["status", "--partitions"], environment)
        #expect(table.status == 0)
        #expect(table.output.contains("partitions 4") && table.output.contains("baedal:{*}:events:order") && table.output.contains("length 8"), "\(table.output)")
        #expect(table.output.contains("backlogs (summed over 4 partitions)") && table.output.contains("partition 3  slot"), "\(table.output)")

        // What the projector built in every partition equals what rebuild computes from the streams.
        for target in ["dashboards", "views"] {
            let rebuild = try await baedalctl(["rebuild", target], environment)
            #expect(rebuild.status == 0 && rebuild.output.contains("equal"), "\(target): \(rebuild.output)")
        }
        // Each policy's backlog is summed over the partitions: three more orders with the projector stopped.
        await deployment.stopWorkers("projector")
        var more: [String] = []
        for index in 1...3 { more.append(try await deployment.placed(try await deployment.customer("d-\(index)"))) }
        var waiting: [String: Any] = [:]
        let counted = await eventually(seconds: 20) {
            guard let status = try? await self.baedalctl(["status", "--json", "--partitions"], environment), status.status == 0 else { return false }
            waiting = self.json(status.output)
            return self.backlog(waiting, "projector") == 3
        }
        #expect(counted, "\(waiting)")
        for (k, part) in ((waiting["perPartition"] as? [[String: Any]]) ?? []).enumerated() {
            #expect(backlog(part, "projector") == more.filter { space.partition(of: $0) == k }.count, "partition \(k)")
        }
        let pending = try await baedalctl(["pending", "projector"], environment)
        #expect(pending.status == 0 && pending.output.contains("nothing pending"), "\(pending.output)")

        // An order's timeline in the console reads its own partition.
        let operatorToken = try await deployment.operator()
        let timeline = try await deployment.console("orders/\(orders[0])", token: operatorToken)
        let k = space.partition(of: orders[0])
        #expect(timeline["partition"] as? Int == k)
        let scan = timeline["timeline"] as? [String: Any] ?? [:]
        #expect((scan["streams"] as? [String])?.allSatisfy { $0.hasPrefix("baedal:{\(k)}:") } == true, "\(scan)")
        #expect((scan["events"] as? [[String: Any]])?.contains { $0["type"] as? String == "OrderPlaced" } == true, "\(scan)")
        let streams = try await deployment.console("streams", token: operatorToken)
        #expect(streams["partitions"] as? Int == 4)
        let consoleOrder = try #require(stream(streams["streams"], "events:order"))
        #expect(consoleOrder["length"] as? Int == 11 && (consoleOrder["partitions"] as? [Any])?.count == 4, "\(consoleOrder)")

        // A garbage entry in partition 2 is dead-lettered there; its letters say so.
        let garbageOrder = (0...).lazy.map { "o-garbage-\($0)" }.first { space.partition(of: $0) == 2 }!
        _ = try connection.send(RedisCommand("XADD", "baedal:{2}:events:order", "*", "type", "OrderPlaced", "orderId", garbageOrder, "at", "1", "data", "not json \u{1B}]0;owned\u{07}"))
        // Every running group that reads the stream has handled it (dead-lettered or not): the letters are all written.
        for group in ["store-inbox", "payment-refund", "delivery-dispatch", "notification"] {
            try #require(await eventually(seconds: 30) { (try? connection.groupHasHandledEverything(group, of: "baedal:{2}:events:order")) == true },
                         "\(group)\n\(deployment.logs)")
        }
        try #require(length("baedal:{2}:dead") >= 1, "\(deployment.logs)")

        // tail: every partition's order events merged in time order, ids naming their partition,
        // a hostile value shown escaped (no terminal control sequence reaches the operator's screen).
        _ = try connection.send(RedisCommand("XADD", "baedal:{1}:events:order", "*", "type", "Noise", "orderId", "o-noise", "at", "1", "data", "\u{1B}[2J\n"))
        let tail = try await baedalctl(["tail", "order", "--count", "100"], environment)
        #expect(tail.status == 0, "\(tail.output)")
        let lines = tail.output.split(separator: "\n").map(String.init)
        // "k/<entry id>" of each line, as (entry id, partition).
        let tailIds: [(id: StreamID, partition: Int)] = lines.compactMap { line in
            let head = line.split(separator: " ").first.map(String.init) ?? ""
            let parts = head.split(separator: "/")
            guard parts.count == 2, let k = Int(parts[0]), let id = StreamID(parts[1]) else { return nil }
            return (id, k)
        }
        #expect(tailIds.count == 13, "11 orders, the garbage and the noise: \(tail.output)")
        #expect(zip(tailIds, tailIds.dropFirst()).allSatisfy { $0.id < $1.id || ($0.id == $1.id && $0.partition < $1.partition) },
                "oldest first: \(tail.output)")
        #expect(Set(tailIds.map(\.partition)).count > 1, "several partitions merged: \(tail.output)")
        #expect(lines.contains { $0.hasPrefix("2/") && $0.contains("orderId=\(garbageOrder)") && $0.contains("data=not json") }, "\(tail.output)")
        #expect(lines.last?.hasPrefix("1/") == true && lines.last?.contains("data=\\u{1b}[2J\\u{a}") == true, "\(tail.output)")
        #expect(!tail.output.contains("\u{1B}"), "no raw escape on the screen")
        let newest = try await baedalctl(["tail", "--count", "2"], environment)
        #expect(newest.output.split(separator: "\n").count == 2 && newest.output.contains("o-noise"), "\(newest.output)")
        let unknown = try await baedalctl(["tail", "orders"], environment)
        #expect(unknown.status == 64 && unknown.output.contains("unknown stream 'orders'"), "\(unknown.output)")
        let list = try await baedalctl(["dead", "list"], environment)
        let ids = list.output.split(separator: "\n").compactMap { line in line.split(separator: " ").first.map(String.init) }.filter { $0.hasPrefix("2/") }
        #expect(!ids.isEmpty && list.output.contains(garbageOrder), "\(list.output)")
        let id = try #require(ids.first)
        let show = try await baedalctl(["dead", "show", id], environment)
        #expect(show.status == 0 && show.output.contains("baedal:{2}:events:order"), "\(show.output)")
        #expect(show.output.contains("not json \\u{1b}]0;owned\\u{7}") && !show.output.contains("\u{1B}") && !list.output.contains("\u{1B}"),
                "a letter's hostile bytes shown escaped: \(show.output)")
        let plain = try await baedalctl(["dead", "show", String(id.dropFirst(2))], environment)
        #expect(plain.status != 0 && plain.output.contains("partition/"), "a plain id among partitions: \(plain.output)")
        let dead = try await deployment.console("dead", token: operatorToken)
        let letters = dead["letters"] as? [[String: Any]] ?? []
        #expect(letters.contains { $0["id"] as? String == id && $0["partition"] as? Int == 2 }, "\(dead)")
        #expect(dead["total"] as? Int == length("baedal:{2}:dead") && dead["lastId"] as? String == ids.last, "\(dead)")
        let encoded = id.replacingOccurrences(of: "/", with: "%2F")
        let dropped = try await deployment.call("POST", "/console/api/dead/\(encoded)/drop", token: operatorToken)
        #expect(dropped.status == 200 && dropped.object["dropped"] as? String == id, "\(dropped.status) \(dropped.body)")
        let rest = try await baedalctl(["dead", "drop", "--all"], environment)
        #expect(rest.status == 0, "\(rest.output)")
        #expect(length("baedal:{2}:dead") == 0)

        // trim plans each partition's streams on their own.
        let trim = try await baedalctl(["trim"], environment)
        #expect(trim.status == 0, "\(trim.output)")
        for k in 0..<4 { #expect(trim.output.contains("baedal:{\(k)}:events:order"), "\(trim.output)") }

        // Another partition count: refused, nothing read.
        let other = try await baedalctl(["status"], environment.merging(["BAEDAL_PARTITIONS": "8"]) { $1 })
        #expect(other.status == 2 && other.output.contains("BAEDAL_PARTITIONS is 8") && other.output.contains("made with 4"), "\(other.output)")
    }

    @Test func baedalctlOnAClusterRoutesEveryPartitionToItsPrimary() async throws {
        let cluster = try RedisClusterServers(primaries: 3, replicasPerPrimary: 0)
        let environment = ["BAEDAL_REDIS_URL": cluster.url]  // 16 partitions, the default on a cluster
        let redis = RedisExecutors.pool(cluster.configuration, size: 1)
        defer { redis.close() }
        let space = KeySpace(partitions: 16, tagged: true)

        let seed = try await baedalctl(["seed"], environment)
        #expect(seed.status == 0 && seed.output.contains("seeded  s-mapo-jjajang"), "\(seed.output)")
        #expect(try await redis.send(RedisCommand("HGET", "baedal:{catalog}:store:s-gangnam-chicken", "region")).string == "gangnam")
        #expect(try await redis.send(RedisCommand("SCARD", "baedal:{catalog}:stores")).int == 3)

        // Events in three partitions (on different primaries, as the tags fall), a dead letter in one.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for k in [0, 5, 11] {
            let orderId = (0...).lazy.map { "o-\($0)" }.first { space.partition(of: $0) == k }!
            let data = #"{"orderId":"\#(orderId)","customerId":"c-1","storeId":"s-1","items":[{"foodId":"chicken","qty":2,"price":1000}]}"#
            _ = try await redis.send(RedisCommand("XADD", "baedal:{\(k)}:events:order", "*", "type", "OrderPlaced", "orderId", orderId, "at", String(now), "data", data))
        }
        _ = try await redis.send(RedisCommand("XGROUP", "CREATE", "baedal:{11}:events:order", "projector", "0"))
        _ = try await redis.send(RedisCommand("XREADGROUP", "GROUP", "projector", "p-1", "STREAMS", "baedal:{11}:events:order", ">"))
        let letterId = try #require(try await redis.send(RedisCommand("XADD", "baedal:{5}:dead", "*", "stream", "baedal:{5}:events:order", "id", "1-1",
                                                                      "group", "projector", "consumer", "p-1", "deliveries", "2", "reason", "broken",
                                                                      "type", "OrderPlaced", "orderId", "o-x", "at", "1", "data", "{}")).string)

        let status = try await baedalctl(["status", "--json", "--partitions"], environment)
        #expect(status.status == 0, "\(status.output)")
        let document = json(status.output)
        let nodes = (document["redis"] as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count == 3, "\(document["redis"] ?? "")")
        #expect(nodes.flatMap { $0["partitions"] as? [Int] ?? [] }.sorted() == Array(0..<16), "every partition on one primary")
        let map = try cluster.slotMap()
        for (k, part) in ((document["perPartition"] as? [[String: Any]]) ?? []).enumerated() {
            #expect(part["node"] as? String == map.primary(for: HashSlot(key: "baedal:{\(k)}:dead"))?.description, "partition \(k)")
        }
        #expect(stream(document["streams"], "events:order")?["length"] as? Int == 3)
        #expect(stream(document["streams"], "dead")?["length"] as? Int == 1)
        #expect(backlog(document, "projector") == 1 + 1 + 1, "partition 11's pending one, the others' whole streams")
        let table = try await baedalctl(["status"], environment)
        #expect(table.output.contains("redis cluster: 3 primaries, 0 replicas") && table.output.contains("partitions 16"), "\(table.output)")

        let pending = try await baedalctl(["pending", "projector"], environment)
        #expect(pending.status == 0 && pending.output.contains("baedal:{11}:events:order"), "\(pending.output)")
        let list = try await baedalctl(["dead", "list"], environment)
        #expect(list.output.hasPrefix("5/\(letterId)") || list.output.contains("\n5/\(letterId)"), "\(list.output)")
        #expect(try await baedalctl(["dead", "drop", "5/\(letterId)"], environment).status == 0)
        #expect(try await redis.send(RedisCommand("XLEN", "baedal:{5}:dead")).int == 0)
        #expect(try await baedalctl(["trim", "--apply"], environment).status == 0)

        let applied = try await baedalctl(["rebuild", "dashboards", "--apply"], environment)
        #expect(applied.status == 0, "\(applied.output)")
        for k in [0, 5, 11] {
            #expect(try await redis.send(RedisCommand("HGET", "baedal:{\(k)}:dashboard:food-orders", "chicken")).int == 2, "partition \(k)")
        }
        let again = try await baedalctl(["rebuild", "dashboards"], environment)
        #expect(again.status == 0 && again.output.contains("equal"), "\(again.output)")

        // A recorded count other than the one given: exit 2.
        _ = try await redis.send(RedisCommand("SET", "baedal:partitions", "16"))
        let other = try await baedalctl(["status"], environment.merging(["BAEDAL_PARTITIONS": "4"]) { $1 })
        #expect(other.status == 2 && other.output.contains("BAEDAL_PARTITIONS is 4"), "\(other.output)")
    }
}
