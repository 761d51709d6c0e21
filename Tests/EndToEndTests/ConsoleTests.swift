import Contract
import Foundation
import Identity
import Policies
import Redis
import Testing
import TestSupport

/// Issue 13: the JSON routes behind the operator console, against the real processes.
@Suite("Console: the operator's JSON routes", .serialized)
struct ConsoleTests {
    static let routes: [(String, String)] = [
        ("GET", "/console/api/dashboards"), ("GET", "/console/api/streams"), ("GET", "/console/api/dead"),
        ("GET", "/console/api/orders/o-1"), ("POST", "/console/api/dead/1-1/replay"), ("POST", "/console/api/dead/1-1/drop"),
        ("POST", "/console/api/dead/replay-all"), ("POST", "/console/api/dead/drop-all"),
    ]

    @Test func everyDataAndActionRouteNeedsAnOperatorsToken() async throws {
        let deployment = try await Deployment(workers: [])
        let forged = try await TokenAuthority(secret: "another-secret-0123456789abcdef0123456").issue(sub: "ops", role: "operator")
        let others = [try await deployment.customer("c1"), try await deployment.owner(of: "s-gangnam-chicken"), try await deployment.rider("r1")]
        let operatorToken = try await deployment.operator()
        for (method, path) in Self.routes {
            let none = try await deployment.call(method, path, body: method == "POST" ? "{}" : nil)
            #expect(none.status == 401 && none.object["error"] as? String == "unauthorized", "\(method) \(path): \(none.status) \(none.body)")
            #expect(none.header("Content-Security-Policy")?.contains("script-src 'self'") == true, "\(path): errors carry the policy too")
            #expect(try await deployment.call(method, path, token: forged, body: method == "POST" ? "{}" : nil).status == 401)
            for token in others {
                let reply = try await deployment.call(method, path, token: token, body: method == "POST" ? "{}" : nil)
                #expect(reply.status == 403 && reply.object["error"] as? String == "forbidden", "\(method) \(path): \(reply.status) \(reply.body)")
            }
            let allowed = try await deployment.call(method, path, token: operatorToken, body: method == "POST" ? "{}" : nil)
            #expect(![401, 403].contains(allowed.status), "\(method) \(path) refused an operator: \(allowed.body)")
        }
        // The page itself is public and holds no data; its policy allows its own script only.
        let page = try await deployment.call("GET", "/console")
        #expect(page.status == 200)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        let policy = try #require(page.header("Content-Security-Policy"))
        #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe"), "\(policy)")
        #expect(page.header("X-Content-Type-Options") == "nosniff")
        #expect(page.body.contains(#"<script src="/console/console.js" defer></script>"#))
        #expect(!page.body.contains("<script>"), "no inline script")
        for asset in ["console.js", "console.css"] {
            let reply = try await deployment.call("GET", "/console/\(asset)")
            #expect(reply.status == 200 && reply.header("Content-Security-Policy") == policy && reply.body.count > 1000)
        }
        #expect(try await deployment.call("POST", "/console").status == 405)
        // Operators see every dashboard; no order command is theirs.
        #expect(try await deployment.call("GET", "/dashboard/food-orders", token: operatorToken).status == 200)
        #expect(try await deployment.call("GET", "/dashboard/rider-deliveries", token: operatorToken).status == 200)
        let orderId = try await deployment.placed(others[0])
        for step in ["accept", "cancel"] {
            let reply = try await deployment.call("POST", "/orders/\(orderId)/\(step)", token: operatorToken)
            #expect(reply.status == 403, "\(step): \(reply.body)")
        }
        #expect(try await deployment.call("POST", "/deliveries/\(orderId)/pick", token: operatorToken).status == 403)
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: operatorToken).status == 403)
        #expect(try await deployment.status(of: orderId, others[0]) == "placed")
    }

    @Test func theFiguresAreTheOnesRedisHolds() async throws {
        let deployment = try await Deployment()
        let ops = try await deployment.operator()
        let rider = try await deployment.rider("r-7")
        _ = try await deployment.placed(try await deployment.customer("c1"), items: [("fried-chicken", 2), ("cola", 1)])
        let picked = try await deployment.pickedOrder(try await deployment.customer("c2"), items: [("seasoned-chicken", 1)], rider: rider)
        let c3 = try await deployment.customer("c3")
        let cancelled = try await deployment.placed(c3, items: [("tteokbokki", 3)], store: "s-gangnam-bunsik")
        #expect(try await deployment.call("POST", "/orders/\(cancelled)/cancel", token: c3).status == 200)

        // Dashboards: units per food (a cancelled order's units come off), riders, orders per minute.
        // (tteokbokki's field is 0, or absent when its +3 and -3 fell in one batch: zeros are left out.)
        let expectedFoods: [(String, Int)] = [("fried-chicken", 2), ("cola", 1), ("seasoned-chicken", 1)]
        let expectedFlow = ["placed": 3, "accepted": 1, "cooking": 1, "cooked": 1, "picked": 1, "cancelled": 1]
        var dashboards: [String: Any] = [:]
        let settled = await eventually(seconds: 20) {
            guard let d = try? await deployment.console("dashboards", token: ops) else { return false }
            dashboards = d
            return Self.top(d, "foods", "foodId", "units").filter { $0.1 != 0 }.elementsEqual(expectedFoods, by: ==)
                && Self.top(d, "riders", "riderId", "deliveries").elementsEqual([("r-7", 1)], by: ==)
                && Self.flowTotals(d) == expectedFlow
        }
        #expect(settled, "\(dashboards)\n\(deployment.logs)")
        #expect((dashboards["foods"] as? [String: Any])?["total"] as? Int == 4)
        #expect((dashboards["ordersPerMinute"] as? [Any])?.count == 60)
        let live = try await deployment.call("GET", "/dashboard/food-orders", token: ops).object
        #expect(live["fried-chicken"] as? Int == 2 && live["cola"] as? Int == 1 && (live["tteokbokki"] as? Int ?? 0) == 0)

        // Streams: lengths, groups, lag and pending as Redis says; the autoscaler when fresh.
        let now = Int(Date().timeIntervalSince1970 * 1000)
        _ = try deployment.redisCommand("HSET", "baedal:autoscaler",
            "projector", #"{"policy":"projector","min":1,"max":4,"running":2,"wanted":3,"backlog":12345,"lagPerInstance":5000,"at":\#(now)}"#,
            "store-inbox", #"{"policy":"store-inbox","min":1,"max":2,"running":1,"wanted":1,"backlog":0,"lagPerInstance":5000,"at":\#(now - 60_000)}"#)
        var streams: [[String: Any]] = []
        let caughtUp = await eventually(seconds: 20) {
            guard let s = try? await deployment.console("streams", token: ops) else { return false }
            streams = s["streams"] as? [[String: Any]] ?? []
            return streams.allSatisfy { stream in
                (stream["groups"] as? [[String: Any]] ?? []).allSatisfy { $0["lag"] as? Int == 0 && $0["pending"] as? Int == 0 }
            }
        }
        #expect(caughtUp, "\(streams)")
        for stream in streams {
            let key = try #require(stream["stream"] as? String)
            #expect(stream["length"] as? Int == (try deployment.redisCommand("XLEN", key).int ?? 0), "\(key)")
            if key == "baedal:events:order" {
                let groups = Set((stream["groups"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
                #expect(groups == Set(PolicyCatalog.readers[.order] ?? []))
                #expect(stream["lastId"] as? String == (try deployment.redisCommand("XREVRANGE", key, "+", "-", "COUNT", "1").array?.first?.array?.first?.string))
                let lastType = (stream["lastEntry"] as? [[String: Any]])?.first { $0["name"] as? String == "type" }?["value"] as? String
                #expect(lastType == "OrderCancelled")
            }
        }
        let scaling = try await deployment.console("streams", token: ops)["autoscaler"] as? [[String: Any]] ?? []
        #expect(scaling.count == 1 && scaling.first?["policy"] as? String == "projector", "only the fresh report: \(scaling)")
        #expect(scaling.first?["running"] as? Int == 2 && scaling.first?["wanted"] as? Int == 3)

        // An order's timeline: every event about it across the streams, in order, then only what is new.
        let first = try await deployment.console("orders/\(picked)", token: ops)
        #expect((first["order"] as? [String: Any])?["status"] as? String == "picked")
        let timeline = try #require(first["timeline"] as? [String: Any])
        #expect(Self.inWrittenOrder(timeline, Deployment.pickedTimeline), "\(timeline)")
        #expect(timeline["complete"] as? Bool == true)
        let after = Self.after(timeline)
        #expect(Self.types(try #require(try await deployment.console("orders/\(picked)?\(after)", token: ops)["timeline"] as? [String: Any])).isEmpty)
        #expect(try await deployment.call("POST", "/deliveries/\(picked)/deliver", token: rider).status == 200)
        let next = try #require(try await deployment.console("orders/\(picked)?\(after)", token: ops)["timeline"] as? [String: Any])
        #expect(Self.types(next) == ["DeliveryCompleted"])
        #expect(try await deployment.call("GET", "/console/api/orders/o-1?after=99_1-1", token: ops).status == 400)
        #expect(try await deployment.call("GET", "/console/api/orders/bad:id", token: ops).status == 400)
        let unknown = try await deployment.console("orders/o-nobody", token: ops)
        #expect(unknown["order"] is NSNull && Self.types(unknown["timeline"] as? [String: Any] ?? [:]).isEmpty)
    }

    @Test func deadLettersAreReplayedAndDroppedAsBaedalctlDoes() async throws {
        let deployment = try await Deployment(workers: ["projector"])
        let ops = try await deployment.operator()
        func garbage(_ orderId: String) throws -> String {
            try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", orderId,
                                        "at", String(Int(Date().timeIntervalSince1970 * 1000)), "data", "not json").string ?? ""
        }
        func letters() async throws -> [[String: Any]] { try await deployment.console("dead", token: ops)["letters"] as? [[String: Any]] ?? [] }
        let entry = try garbage("o-g1")
        #expect(await eventually(seconds: 20) { (try? await letters().count) == 1 })
        let letter = try #require(try await letters().first)
        #expect(letter["stream"] as? String == "baedal:events:order" && letter["group"] as? String == "projector")
        #expect(letter["entryId"] as? String == entry && (letter["reason"] as? String)?.isEmpty == false)
        let id = try #require(letter["id"] as? String)

        let replay = try await deployment.call("POST", "/console/api/dead/\(id)/replay", token: ops)
        #expect(replay.status == 200 && replay.object["replayed"] as? String == id && replay.object["group"] as? String == "projector")
        let newId = try #require(replay.object["newId"] as? String)
        #expect(try deployment.redisCommand("XRANGE", "baedal:events:order", newId, newId).array?.first?.array?.last?.array?.map { $0.string ?? "" }
            .contains("replayFor") == true, "replayed for its group only, as baedalctl dead replay does")
        // Still garbage: the projector gives up on it again, under a new id.
        #expect(await eventually(seconds: 20) { (try? await letters().map { $0["id"] as? String }) .map { $0.count == 1 && $0[0] != id } == true })
        let again = try #require(try await letters().first?["id"] as? String)
        #expect(try await deployment.call("POST", "/console/api/dead/\(again)/drop", token: ops).status == 200)
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == 0)
        #expect(try await deployment.call("POST", "/console/api/dead/\(again)/drop", token: ops).status == 404)
        #expect(try await deployment.call("POST", "/console/api/dead/\(again)/replay", token: ops).status == 404)
        #expect(try await deployment.call("POST", "/console/api/dead/nonsense/replay", token: ops).status == 400)

        // "All" is what the operator saw: a letter that arrives after stays.
        _ = try garbage("o-g2")
        _ = try garbage("o-g3")
        #expect(await eventually(seconds: 20) { (try? await letters().count) == 2 })
        let seen = try #require(try await deployment.console("dead", token: ops)["lastId"] as? String)
        _ = try garbage("o-g4")
        #expect(await eventually(seconds: 20) { (try? await letters().count) == 3 })
        #expect(try await deployment.call("POST", "/console/api/dead/drop-all", token: ops, body: "{}").status == 400)
        let dropped = try await deployment.call("POST", "/console/api/dead/drop-all", token: ops, body: #"{"through":"\#(seen)"}"#)
        #expect(dropped.status == 200 && dropped.object["dropped"] as? Int == 2, "\(dropped.body)")
        let left = try await letters()
        #expect(left.count == 1 && (left.first?["original"] as? [[String: Any]])?.contains { $0["value"] as? String == "o-g4" } == true)
        let last = try #require(try await deployment.console("dead", token: ops)["lastId"] as? String)
        let replayed = try await deployment.call("POST", "/console/api/dead/replay-all", token: ops, body: #"{"through":"\#(last)"}"#)
        #expect(replayed.status == 200 && replayed.object["replayed"] as? Int == 1)
        #expect(await eventually(seconds: 20) { (try? await letters().first?["id"] as? String).flatMap { $0 } .map { $0 != last } == true })
    }

    // MARK: Reading the JSON

    static func top(_ dashboards: [String: Any], _ board: String, _ id: String, _ count: String) -> [(String, Int)] {
        ((dashboards[board] as? [String: Any])?["top"] as? [[String: Any]] ?? []).map { ($0[id] as? String ?? "?", $0[count] as? Int ?? -1) }
    }

    static func flowTotals(_ dashboards: [String: Any]) -> [String: Int] {
        var totals: [String: Int] = [:]
        for minute in dashboards["ordersPerMinute"] as? [[String: Any]] ?? [] {
            for (status, count) in minute["counts"] as? [String: Int] ?? [:] { totals[status, default: 0] += count }
        }
        return totals
    }

    static func types(_ timeline: [String: Any]) -> [String] {
        (timeline["events"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
    }

    /// The timeline holds exactly `expected`, in the order its entries were written: by the
    /// millisecond of their ids (entries of different streams written in the same millisecond,
    /// e.g. CookingFinished and the DeliveryOpened it caused, have no order Redis can tell).
    static func inWrittenOrder(_ timeline: [String: Any], _ expected: [String]) -> Bool {
        let events = (timeline["events"] as? [[String: Any]] ?? []).compactMap { event -> (type: String, ms: Int)? in
            guard let type = event["type"] as? String, let id = event["id"] as? String, let ms = id.split(separator: "-").first.flatMap({ Int($0) }) else { return nil }
            return (type, ms)
        }
        let milliseconds = events.map(\.ms)
        guard milliseconds == milliseconds.sorted(), events.map(\.type).sorted() == expected.sorted() else { return false }
        let rank = Dictionary(expected.enumerated().map { ($1, $0) }) { first, _ in first }
        return events.sorted { ($0.ms, rank[$0.type] ?? 0) < ($1.ms, rank[$1.type] ?? 0) }.map(\.type) == expected
    }

    /// The query that goes on where a scan stopped.
    static func after(_ timeline: [String: Any]) -> String {
        (timeline["cursors"] as? [Any] ?? []).enumerated().compactMap { index, cursor in
            (cursor as? String).map { "after=\(index)_\($0)" }
        }.joined(separator: "&")
    }
}
