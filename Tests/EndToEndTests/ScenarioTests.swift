import Foundation
import Synchronization
import Testing
import TestSupport

/// Issue 4 end to end: the whole scenario of the event storming, one requirement per test,
/// then the fault-isolation test and the rebuild.
@Suite("Scenario: store, riders, notifications and views", .serialized)
struct ScenarioTests {
    @Test func fromTheMenuToCompletedWithOneNotificationPerChange() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-full")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let menu = try await deployment.call("GET", "/stores/s-gangnam-chicken/menu")
        let dishes = (menu.object["items"] as? [[String: Any]] ?? []).compactMap { $0["foodId"] as? String }
        #expect(dishes.contains("seasoned-chicken"))
        let orderId = try await deployment.placed(customer, items: [("seasoned-chicken", 1), ("cola", 2)])

        // The store receives it (store-inbox) and takes it through the kitchen.
        #expect(await eventually(seconds: 10) {
            (try? await deployment.call("GET", "/stores/s-gangnam-chicken/orders", token: owner))?.array.contains { $0["orderId"] as? String == orderId } == true
        })
        for step in ["accept", "start-cooking", "finish-cooking"] {
            #expect(try await deployment.call("POST", "/orders/\(orderId)/\(step)", token: owner).status == 200)
        }
        // Riders of the region see it (delivery-dispatch); riders elsewhere do not.
        let gangnamRider = try await deployment.rider("r-gangnam")
        #expect(await eventually(seconds: 10) {
            (try? await deployment.call("GET", "/deliveries?region=gangnam", token: gangnamRider))?.array.contains { $0["orderId"] as? String == orderId } == true
        })
        #expect(try await deployment.call("GET", "/deliveries?region=mapo", token: gangnamRider).array.isEmpty)
        #expect(try deployment.eventTypes("delivery", orderId: orderId) == ["DeliveryOpened"])

        // Ten riders race for it: exactly one wins.
        var riders: [String: String] = [:]
        for index in 0..<10 { riders["r\(index)"] = try await deployment.rider("r\(index)") }
        let picks = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for (id, token) in riders {
                group.addTask { (id, try await deployment.call("POST", "/deliveries/\(orderId)/pick", token: token).status) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let winners = picks.filter { $0.value == 200 }.map(\.key)
        #expect(winners.count == 1, "\(picks)")
        #expect(picks.values.filter { $0 == 409 }.count == 9)
        let winner = try #require(winners.first)
        let view = try await deployment.call("GET", "/orders/\(orderId)", token: customer)
        #expect(view.object["status"] as? String == "picked")
        #expect(view.object["riderId"] as? String == winner)
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: riders[winner]!).status == 200)
        let loser = riders.first { $0.key != winner }!.value
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: loser).status == 403)
        #expect(try await deployment.call("POST", "/deliveries/\(orderId)/deliver", token: loser).status == 403)
        #expect(try await deployment.call("POST", "/deliveries/\(orderId)/deliver", token: riders[winner]!).status == 200)
        #expect(try await deployment.call("POST", "/orders/\(orderId)/confirm", token: customer).status == 200)
        #expect(try await deployment.status(of: orderId, customer) == "completed")
        #expect(try deployment.eventTypes("delivery", orderId: orderId) == ["DeliveryOpened", "DeliveryPicked", "DeliveryCompleted"])
        #expect(try await deployment.call("GET", "/deliveries?region=gangnam", token: gangnamRider).array.isEmpty)

        // One notification per change, in Korean, newest first.
        let expected = ["completed", "delivered", "picked", "cooked", "cooking", "accepted", "placed"]
        #expect(await eventually(seconds: 10) {
            let inbox = try? await deployment.call("GET", "/customers/me/notifications", token: customer)
            return inbox?.array.compactMap { $0["status"] as? String } == expected
        }, "\(deployment.logs)")
        let inbox = try await deployment.call("GET", "/customers/me/notifications", token: customer).array
        #expect(inbox.last?["text"] as? String == "주문이 접수되었습니다")
        #expect(inbox.allSatisfy { $0["orderId"] as? String == orderId && ($0["at"] as? Int ?? 0) > 0 })
        // My page, and both dashboards.
        #expect(try await deployment.call("GET", "/customers/me/orders", token: customer).array.first?["status"] as? String == "completed")
        #expect(await eventually(seconds: 10) {
            let food = try? await deployment.call("GET", "/dashboard/food-orders", token: owner).object
            let ridden = try? await deployment.call("GET", "/dashboard/rider-deliveries", token: gangnamRider).object
            return food?["seasoned-chicken"] as? Int == 1 && food?["cola"] as? Int == 2 && ridden?[winner] as? Int == 1
        })
        #expect(try await deployment.call("GET", "/dashboard/food-orders", token: customer).status == 403)
    }

    @Test func queuePositionFollowsTheKitchen() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-queue")
        let owner = try await deployment.owner(of: "s-mapo-jjajang")
        var started: [(id: String, at: Int)] = []
        for _ in 0..<3 {
            let id = try await deployment.placed(customer, items: [("jjajangmyeon", 1)], store: "s-mapo-jjajang", region: "mapo")
            #expect(try await deployment.call("POST", "/orders/\(id)/accept", token: owner).status == 200)
            #expect(try await deployment.call("POST", "/orders/\(id)/start-cooking", token: owner).status == 200)
            // Its last change is the start of cooking: `updatedAt` is when it joined the queue.
            let at = try await deployment.call("GET", "/orders/\(id)", token: customer).object["updatedAt"] as? Int
            started.append((id, try #require(at, "the order shows when it started cooking")))
        }
        // The kitchen's order: by start time, then by order id (two starts in one millisecond).
        let ids = started.sorted { ($0.at, $0.id) < ($1.at, $1.id) }.map(\.id)
        func positions() async throws -> [Int?] {
            var result: [Int?] = []
            for id in ids { result.append(try await deployment.call("GET", "/orders/\(id)", token: customer).object["queuePosition"] as? Int) }
            return result
        }
        let queued = await eventually(seconds: 10) { (try? await positions()) == [1, 2, 3] }
        let queuedPositions = try await positions()
        #expect(queued, "\(queuedPositions)")
        #expect(try await deployment.call("POST", "/orders/\(ids[0])/finish-cooking", token: owner).status == 200)
        let moved = await eventually(seconds: 10) { (try? await positions()) == [nil, 1, 2] }
        let movedPositions = try await positions()
        #expect(moved, "\(movedPositions)")
    }

    @Test func cancelBeforeCookingRefundsAndCancelsTheDelivery() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-change")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let placed = try await deployment.placeOrder(customer, items: [("fried-chicken", 3)])
        let orderId = try #require(placed.object["orderId"] as? String)
        let paymentId = try #require(placed.object["paymentId"] as? String)
        #expect(try await deployment.call("POST", "/orders/\(orderId)/accept", token: owner).status == 200)
        #expect(try await deployment.call("POST", "/orders/\(orderId)/cancel", token: customer).status == 200)
        #expect(await eventually(seconds: 15) {
            let refunded = (try? await deployment.call("GET", "/payments/\(paymentId)", port: deployment.paymentPort))?.object["status"] as? String == "cancelled"
            let delivery = (try? deployment.eventTypes("delivery", orderId: orderId)) == ["DeliveryCancelled"]
            return refunded && delivery
        }, "\(deployment.logs)")
        #expect(await eventually(seconds: 10) {
            let food = try? await deployment.call("GET", "/dashboard/food-orders", token: owner).object
            let statuses = try? await deployment.call("GET", "/customers/me/notifications", token: customer).array.compactMap { $0["status"] as? String }
            return (food?["fried-chicken"] as? Int ?? 0) == 0 && food != nil && statuses == ["cancelled", "accepted", "placed"]
        })
    }

    @Test func theWebhookGetsEveryNotificationOnceKeyedByEventDespiteFailures() async throws {
        let receiver = try WebhookReceiver(failFirst: 2)
        let deployment = try await Deployment(workers: [])
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": receiver.url])
        let customer = try await deployment.customer("c-hook")
        let orderId = try await deployment.placed(customer)
        #expect(try await deployment.call("POST", "/orders/\(orderId)/cancel", token: customer).status == 200)
        // The inbox does not wait for the webhook.
        #expect(await eventually(seconds: 10) {
            (try? await deployment.call("GET", "/customers/me/notifications", token: customer))?.array.count == 2
        })
        // Two failures are retried; in the end each message arrived with its event id as key.
        let delivered = await eventually(seconds: 20) {
            Set(receiver.requests.dropFirst(2).compactMap { $0.headers["idempotency-key"] }).count == 2
        }
        #expect(delivered, "\(receiver.requests.map(\.body)) \(deployment.logs)")
        #expect(receiver.requests.count == 4, "2 refused, then each of the 2 messages once")
        let bodies = receiver.requests.map(\.body)
        #expect(bodies.contains { $0.contains("\"status\":\"placed\"") && $0.contains("주문이 접수되었습니다") })
        #expect(bodies.contains { $0.contains("\"status\":\"cancelled\"") && $0.contains(orderId) })
        #expect(receiver.requests.allSatisfy { $0.headers["content-type"]?.hasPrefix("application/json") == true })
    }

    /// Every worker down: orders are still taken and moved as far as the API allows. When the
    /// workers come back, every board, view, notification and dashboard catches up exactly, and
    /// a rebuild from the streams equals what the projector built live.
    @Test func everythingCatchesUpAfterTheWorkersWereDownAndRebuildEqualsLive() async throws {
        let deployment = try await Deployment(workers: [])
        let stores = [("s-gangnam-chicken", "gangnam", "fried-chicken"), ("s-gangnam-bunsik", "gangnam", "tteokbokki"), ("s-mapo-jjajang", "mapo", "jjamppong")]
        var owners: [String: String] = [:]
        for (store, _, _) in stores { owners[store] = try await deployment.owner(of: store) }
        var customers: [String] = []
        for index in 0..<10 { customers.append(try await deployment.customer("c\(index)")) }
        var riders: [String] = []
        for index in 0..<3 { riders.append(try await deployment.rider("r\(index)")) }

        struct Outcome: Sendable {
            var orderId: String, customer: Int, store: Int, qty: Int, kind: Int
        }
        // kind: 0 cancelled, 1 rejected, 2 cooked (waiting for a rider), 3 cooking, 4 placed, 5 completed
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for index in 0..<200 {
                let customer = index % 10, store = (index / 6) % 3, kind = index % 6, qty = 1 + index % 4
                let (storeId, region, food) = stores[store]
                let customerToken = customers[customer], ownerToken = owners[storeId]!, riderToken = riders[(index / 7) % 3]
                group.addTask {
                    let id = try await deployment.placed(customerToken, items: [(food, qty)], store: storeId, region: region)
                    func step(_ path: String, _ token: String) async throws {
                        let reply = try await deployment.call("POST", path, token: token)
                        guard reply.status == 200 else { throw TestFailure("\(path): \(reply.status) \(reply.body)") }
                    }
                    switch kind {
                    case 0: try await step("/orders/\(id)/cancel", customerToken)
                    case 1: try await step("/orders/\(id)/reject", ownerToken)
                    case 4: break
                    default:
                        try await step("/orders/\(id)/accept", ownerToken)
                        try await step("/orders/\(id)/start-cooking", ownerToken)
                        if kind == 3 { break }
                        try await step("/orders/\(id)/finish-cooking", ownerToken)
                        if kind == 2 { break }
                        try await step("/deliveries/\(id)/pick", riderToken)
                        try await step("/deliveries/\(id)/deliver", riderToken)
                        try await step("/orders/\(id)/confirm", customerToken)
                    }
                    return Outcome(orderId: id, customer: customer, store: store, qty: qty, kind: kind)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 200)
        // Nothing downstream happened yet.
        #expect(try await deployment.call("GET", "/customers/me/notifications", token: customers[0]).array.isEmpty)
        #expect(try await deployment.call("GET", "/stores/s-mapo-jjajang/orders", token: owners["s-mapo-jjajang"]!).array.isEmpty)

        for policy in Deployment.policies { try deployment.startWorker(policy) }

        // What each view must show, from what the API did.
        let changes = [0: 2, 1: 2, 2: 4, 3: 3, 4: 1, 5: 7]  // notifications per kind: one per status reached
        var foodUnits: [String: Int] = [:], riderCounts: [String: Int] = [:]
        for outcome in outcomes {
            // Units count orders placed and not cancelled or rejected.
            foodUnits[stores[outcome.store].2, default: 0] += outcome.kind <= 1 ? 0 : outcome.qty
        }
        for outcome in outcomes where outcome.kind == 5 {
            let view = try await deployment.call("GET", "/orders/\(outcome.orderId)", token: customers[outcome.customer])
            riderCounts[view.object["riderId"] as? String ?? "?", default: 0] += 1
        }
        #expect(riderCounts.values.reduce(0, +) == outcomes.filter { $0.kind == 5 }.count)

        let lagging = Mutex("")
        let caughtUp = await eventually(seconds: 60) {
            do {
                for (index, token) in customers.enumerated() {
                    let mine = outcomes.filter { $0.customer == index }
                    let inbox = try await deployment.call("GET", "/customers/me/notifications", token: token).array
                    guard inbox.count == mine.reduce(0, { $0 + changes[$1.kind]! }) else { lagging.withLock { $0 = "inbox of c\(index): \(inbox.count)" }; return false }
                    let orders = try await deployment.call("GET", "/customers/me/orders", token: token).array
                    guard Set(orders.compactMap { $0["orderId"] as? String }) == Set(mine.map(\.orderId)) else { lagging.withLock { $0 = "my page of c\(index)" }; return false }
                }
                for (index, (storeId, _, _)) in stores.enumerated() {
                    let board = try await deployment.call("GET", "/stores/\(storeId)/orders", token: owners[storeId]!).array
                    guard Set(board.compactMap { $0["orderId"] as? String }) == Set(outcomes.filter { $0.store == index }.map(\.orderId)) else { lagging.withLock { $0 = "board of \(storeId): \(board.count)" }; return false }
                }
                for region in ["gangnam", "mapo"] {
                    let waiting = try await deployment.call("GET", "/deliveries?region=\(region)", token: riders[0]).array
                    let expected = outcomes.filter { $0.kind == 2 && stores[$0.store].1 == region }.map(\.orderId)
                    guard Set(waiting.compactMap { $0["orderId"] as? String }) == Set(expected) else { lagging.withLock { $0 = "riders of \(region): \(waiting.count) of \(expected.count)" }; return false }
                }
                let food = try await deployment.call("GET", "/dashboard/food-orders", token: owners["s-mapo-jjajang"]!).object
                guard foodUnits.allSatisfy({ food[$0.key] as? Int == $0.value }) else { lagging.withLock { $0 = "food \(food) vs \(foodUnits)" }; return false }
                let ridden = try await deployment.call("GET", "/dashboard/rider-deliveries", token: riders[0]).object
                guard riderCounts.allSatisfy({ ridden[$0.key] as? Int == $0.value }), ridden.count == riderCounts.count else { lagging.withLock { $0 = "riders \(ridden) vs \(riderCounts)" }; return false }
                let refunds = try deployment.eventTypes("payment").filter { $0 == "PaymentCancelled" }.count
                let cancelledDeliveries = try deployment.eventTypes("delivery").filter { $0 == "DeliveryCancelled" }.count
                let refundable = outcomes.filter { $0.kind <= 1 }.count
                lagging.withLock { $0 = "refunds \(refunds), cancelled deliveries \(cancelledDeliveries) of \(refundable)" }
                return refunds == refundable && cancelledDeliveries == refundable
            } catch {
                return false
            }
        }
        #expect(caughtUp, "lagging: \(lagging.withLock { $0 })\n\(deployment.logs)")
        // Queue positions of the cooking orders are 1…n per store.
        for (index, (storeId, _, _)) in stores.enumerated() {
            let cooking = outcomes.filter { $0.store == index && $0.kind == 3 }
            var positions: [Int] = []
            for outcome in cooking {
                positions.append(try await deployment.call("GET", "/orders/\(outcome.orderId)", token: owners[storeId]!).object["queuePosition"] as? Int ?? 0)
            }
            #expect(!cooking.isEmpty)
            #expect(positions.sorted() == Array(1...max(cooking.count, 1)).prefix(cooking.count).map { $0 }, "\(storeId): \(positions)")
        }
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == 0)

        // Rebuild equals live, for both projections.
        for target in ["dashboards", "views"] {
            let rebuild = try BaedalProcess("baedalctl", ["rebuild", target], environment: deployment.base)
            #expect(await rebuild.waitForExit() == 0, "\(rebuild.log)")
            #expect(rebuild.log.contains("equal:"), "\(rebuild.log)")
            #expect(rebuild.log.contains("entries read"), "\(rebuild.log)")
        }
        // And it notices a live dashboard that drifted.
        _ = try deployment.redisCommand("HINCRBY", "baedal:dashboard:food-orders", "jjamppong", "1")
        let drifted = try BaedalProcess("baedalctl", ["rebuild", "dashboards"], environment: deployment.base)
        #expect(await drifted.waitForExit() == 1, "\(drifted.log)")
        let repaired = try BaedalProcess("baedalctl", ["rebuild", "dashboards", "--apply"], environment: deployment.base)
        #expect(await repaired.waitForExit() == 0, "\(repaired.log)")
        let food = try await deployment.call("GET", "/dashboard/food-orders", token: owners["s-mapo-jjajang"]!).object
        #expect(food["jjamppong"] as? Int == foodUnits["jjamppong"])
    }
}
