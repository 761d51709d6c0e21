import AsyncHTTPClient
import Foundation
import NIOCore
import Redis
import Testing
import TestSupport

/// Issue 5: what an operator uses: baedalctl against a real Redis, health while Redis is down,
/// metrics that move.
@Suite("Operations: baedalctl, health, metrics", .serialized)
struct BaedalctlAndMetricsTests {
    func baedalctl(_ arguments: [String], _ server: RedisServer) async throws -> (status: Int32?, output: String) {
        let process = try BaedalProcess("baedalctl", arguments, environment: ["BAEDAL_REDIS_URL": server.url])
        let status = await process.waitForExit(seconds: 30)
        return (status, process.log)
    }

    func xadd(_ connection: RedisConnection, _ stream: String, _ type: String, _ orderId: String, _ data: String) throws -> String {
        try connection.send(RedisCommand(["XADD", "baedal:events:\(stream)", "*", "type", type, "orderId", orderId,
                                          "at", "1700000000000", "data", data])).string ?? ""
    }

    @Test func aDeadLetterIsReplayedAfterItsCauseIsFixedAndCountedOnce() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let environment = ["BAEDAL_REDIS_URL": server.url, "BAEDAL_MAX_DELIVERIES": "2", "BAEDAL_CLAIM_IDLE_MS": "300"]
        // Someone broke the rider dashboard: HINCRBY on a string fails.
        _ = try connection.send(RedisCommand("SET", "baedal:dashboard:rider-deliveries", "oops"))
        let projector = try BaedalProcess("baedal-worker", ["projector"], environment: environment.merging(["BAEDAL_CONSUMER": "p1"]) { $1 })
        let notification = try BaedalProcess("baedal-worker", ["notification"], environment: environment.merging(["BAEDAL_CONSUMER": "n1"]) { $1 })
        _ = try xadd(connection, "delivery", "DeliveryPicked", "o-7", #"{"orderId":"o-7","riderId":"r-9","customerId":"c-7"}"#)
        #expect(await eventually(seconds: 20) { (try? connection.send(RedisCommand("XLEN", "baedal:dead")).int) == 1 }, "\(projector.log)")

        let list = try await baedalctl(["dead", "list"], server)
        #expect(list.status == 0)
        #expect(list.output.contains("projector") && list.output.contains("DeliveryPicked") && list.output.contains("o-7"), "\(list.output)")
        let deadId = try #require(list.output.split(separator: " ").first.map(String.init))
        let show = try await baedalctl(["dead", "show", deadId], server)
        #expect(show.output.contains("WRONGTYPE") || show.output.contains("failed on delivery 2 of 2"), "\(show.output)")
        #expect(show.output.contains(#""riderId":"r-9""#))
        #expect(try await baedalctl(["dead", "show", "1-1"], server).status == 1)

        _ = try connection.send(RedisCommand("DEL", "baedal:dashboard:rider-deliveries"))  // the cause, fixed
        let replay = try await baedalctl(["dead", "replay", deadId], server)
        #expect(replay.status == 0, "\(replay.output)")
        #expect(await eventually(seconds: 10) {
            (try? connection.send(RedisCommand("HGET", "baedal:dashboard:rider-deliveries", "r-9")).int) == 1
        }, "\(projector.log)")
        // Counted once, and the group that had handled it (notification) did not handle it again:
        // looked at once both groups have read the replayed entry and acknowledged it, after
        // which it can change nothing more.
        for group in ["projector", "notification"] {
            #expect(await eventually(seconds: 10) { (try? connection.groupHasHandledEverything(group, of: "baedal:events:delivery")) == true },
                    "\(group) has read and acknowledged the replayed entry\n\(projector.log)\n\(notification.log)")
        }
        #expect(try connection.send(RedisCommand("HGET", "baedal:dashboard:rider-deliveries", "r-9")).int == 1)
        #expect(try connection.send(RedisCommand("ZCARD", "baedal:customer:c-7:notifications")).int == 1)
        #expect(try connection.send(RedisCommand("XLEN", "baedal:dead")).int == 0)
        #expect(try await baedalctl(["dead", "list"], server).output.contains("no dead letters"))
    }

    @Test func dropRemovesOneDeadLetter() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let id = try connection.send(RedisCommand(["XADD", "baedal:dead", "*", "stream", "baedal:events:order", "id", "1-1",
                                                  "group", "projector", "consumer", "x", "deliveries", "1", "reason", "malformed",
                                                  "type", "OrderPlaced", "orderId", "o-1", "data", "not json"])).string!
        #expect(try await baedalctl(["dead", "drop", id], server).status == 0)
        #expect(try connection.send(RedisCommand("XLEN", "baedal:dead")).int == 0)
        #expect(try await baedalctl(["dead", "drop", id], server).status == 1)
    }

    @Test func trimNeverRemovesWhatAGroupHasNotAcknowledged() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        var ids: [String] = []
        for index in 0..<10 { ids.append(try xadd(connection, "order", "OrderPlaced", "o-\(index)", "{}")) }
        let groups = ["store-inbox", "payment-refund", "delivery-dispatch", "notification", "projector"]
        for group in groups {
            _ = try connection.send(RedisCommand("XGROUP", "CREATE", "baedal:events:order", group, "0"))
            let count = group == "projector" ? "6" : "10"
            _ = try connection.send(RedisCommand("XREADGROUP", "GROUP", group, "c", "COUNT", count, "STREAMS", "baedal:events:order", ">"))
            let acked = group == "projector" ? Array(ids[0..<3]) : ids  // projector holds entries 4…6 unacknowledged
            _ = try connection.send(RedisCommand(["XACK", "baedal:events:order", group] + acked))
        }
        // A stream one expected group never joined is kept whole.
        _ = try xadd(connection, "store", "OrderAccepted", "o-1", "{}")
        _ = try connection.send(RedisCommand("XGROUP", "CREATE", "baedal:events:store", "projector", "$"))

        let dry = try await baedalctl(["trim"], server)
        #expect(dry.status == 0)
        #expect(dry.output.contains("would remove 3 entries"), "\(dry.output)")
        #expect(dry.output.contains("never joined"), "\(dry.output)")
        #expect(try connection.send(RedisCommand("XLEN", "baedal:events:order")).int == 10)

        let applied = try await baedalctl(["trim", "--apply"], server)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(try connection.send(RedisCommand("XLEN", "baedal:events:order")).int == 7)
        #expect(try connection.send(RedisCommand("XLEN", "baedal:events:store")).int == 1)
        let first = try connection.send(RedisCommand("XRANGE", "baedal:events:order", "-", "+", "COUNT", "1")).array?.first?.array?.first?.string
        #expect(first == ids[3], "the oldest unacknowledged entry stays")
        let pending = try connection.send(RedisCommand("XPENDING", "baedal:events:order", "projector")).array?.first?.int
        #expect(pending == 3)
        // Once acknowledged, they may go too.
        _ = try connection.send(RedisCommand(["XACK", "baedal:events:order", "projector"] + Array(ids[3..<6])))
        _ = try connection.send(RedisCommand("XREADGROUP", "GROUP", "projector", "c", "STREAMS", "baedal:events:order", ">"))
        _ = try connection.send(RedisCommand(["XACK", "baedal:events:order", "projector"] + Array(ids[6...])))
        _ = try await baedalctl(["trim", "--apply"], server)
        #expect(try connection.send(RedisCommand("XLEN", "baedal:events:order")).int == 0)
    }

    @Test func statusAndPendingShowStreamsGroupsAndConsumers() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        for index in 0..<4 { _ = try xadd(connection, "order", "OrderPlaced", "o-\(index)", "{}") }
        _ = try connection.send(RedisCommand("XGROUP", "CREATE", "baedal:events:order", "projector", "0"))
        _ = try connection.send(RedisCommand("XREADGROUP", "GROUP", "projector", "host-projector-1", "COUNT", "3", "STREAMS", "baedal:events:order", ">"))
        let status = try await baedalctl(["status"], server)
        #expect(status.status == 0)
        #expect(status.output.contains("baedal:events:order") && status.output.contains("length 4"), "\(status.output)")
        #expect(status.output.contains("group projector") && status.output.contains("lag 1") && status.output.contains("pending 3"), "\(status.output)")
        #expect(status.output.contains("host-projector-1"))
        #expect(status.output.contains("dead letters: none"))
        #expect(status.output.contains("redis primary 127.0.0.1:\(server.port)") && status.output.contains("no replicas"), "\(status.output)")
        let json = try await baedalctl(["status", "--json"], server)
        let document = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any] ?? [:]
        #expect((document["redis"] as? [String: Any])?["primary"] as? String == "127.0.0.1:\(server.port)")
        let parsed = document["streams"] as? [[String: Any]] ?? []
        let order = try #require(parsed.first { $0["stream"] as? String == "baedal:events:order" })
        let group = try #require((order["groups"] as? [[String: Any]])?.first)
        #expect(group["pending"] as? Int == 3)
        #expect(group["lag"] as? Int == 1)
        let pending = try await baedalctl(["pending", "projector"], server)
        #expect(pending.output.split(separator: "\n").filter { $0.contains("OrderPlaced") }.count == 3, "\(pending.output)")
        #expect(try await baedalctl(["pending", "nobody"], server).status == 1)
        let help = try await baedalctl(["dead", "--help"], server)
        #expect(help.output.contains("replay"))
    }

    @Test func readinessFollowsRedisWhileLivenessStays() async throws {
        let deployment = try await Deployment(workers: [])
        #expect(try await deployment.call("GET", "/health/ready").status == 200)
        deployment.redis.stop()
        #expect(await eventually(seconds: 10) { (try? await deployment.call("GET", "/health/ready").status) == 503 })
        #expect(try await deployment.call("GET", "/health/live").status == 200)
        let order = try await deployment.placeOrder(try await deployment.customer("c-1"))
        #expect(order.status == 503, "\(order.body)")
        try deployment.redis.start()
        #expect(await eventually(seconds: 10) { (try? await deployment.call("GET", "/health/ready").status) == 200 })
    }

    @Test func workerMetricsAreExposedAndMove() async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let port = try freePort()
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: [
            "BAEDAL_REDIS_URL": server.url, "BAEDAL_CONSUMER": "m1", "BAEDAL_METRICS_PORT": String(port),
        ])
        let item = #"{"customerId":"c","storeId":"s","items":[{"foodId":"kimchi","qty":1}]}"#
        for index in 0..<3 { _ = try xadd(connection, "order", "OrderPlaced", "o-\(index)", item) }
        _ = try xadd(connection, "order", "OrderPlaced", "o-bad", "not json")
        func handled() async -> Int? {
            let text: String
            do { text = try await metrics(port) } catch { print("metrics: \(error)"); return nil }
            return Self.value(text, "baedal_events_total", ["policy=\"projector\"", "type=\"OrderPlaced\"", "outcome=\"handled\""])
        }
        #expect(await eventually(seconds: 15) { await handled() == 3 }, "\(worker.log)")
        for index in 3..<5 { _ = try xadd(connection, "order", "OrderPlaced", "o-\(index)", item) }
        #expect(await eventually(seconds: 15) { await handled() == 5 })
        let text = try await metrics(port)
        #expect(Self.value(text, "baedal_events_total", ["outcome=\"dead-lettered\""]) == 1, "\(text)")
        #expect(text.contains("baedal_event_handling_seconds_bucket"))
        #expect(await eventually(seconds: 10) {
            (try? await metrics(port)).map { Self.value($0, "baedal_group_pending", ["stream=\"baedal:events:order\""]) == 0 } ?? false
        })
    }

    @Test func apiMetricsCountRequestsAndTimeThemPerRoute() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-metrics")
        for _ in 0..<3 { _ = try await deployment.placed(customer) }
        let text = try await metrics(deployment.apiPort)
        let buckets = text.split(separator: "\n").filter { $0.hasPrefix("http_server_request_duration_seconds_bucket{") && $0.contains("route=\"/orders\"") }
        #expect(!buckets.isEmpty, "\(text.prefix(3000))")
        #expect(Self.value(text, "http_server_request_duration_seconds_count", ["route=\"/orders\"", "POST", "status=\"201\""]) == 3, "\(text.prefix(3000))")
        #expect(Self.value(text, "http_server_requests_total", ["route=\"/orders\"", "POST", "status=\"201\""]) == 3)
        // Conventions: counters end in _total, durations are _seconds; Hummingbird's own names are gone.
        #expect(!text.contains("hb_requests") && !text.contains("http_server_request_duration_bucket"))
        for process in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"] {
            #expect(text.contains("\n\(process) ") || text.contains("\n\(process){"), "\(process) missing")
        }
        #expect(Self.value(text, "baedal_orders_placed_total", []) == 3)
        #expect(Self.value(text, "baedal_payment_circuit_state", []) == 0)
    }

    func metrics(_ port: Int) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 4 << 20))
    }

    /// The value of the first sample of `name` whose labels contain all of `labels`.
    static func value(_ text: String, _ name: String, _ labels: [String]) -> Int? {
        for line in text.split(separator: "\n") where (line.hasPrefix(name + "{") || line.hasPrefix(name + " ")) && labels.allSatisfy({ line.contains($0) }) {
            return line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) }
        }
        return nil
    }
}
