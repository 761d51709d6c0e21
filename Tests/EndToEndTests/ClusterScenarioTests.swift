import Contract
import Foundation
import Redis
import Testing
import TestSupport

/// Issue 21 end to end: the whole scenario on a Redis Cluster of the test's own (three primaries,
/// a replica each, on free ports), every process on `redis-cluster://` with sixteen partitions.
@Suite("Scenario on a Redis Cluster: three primaries, sixteen partitions", .serialized)
struct ClusterScenarioTests {
    /// One order of the run: who placed it, what, and how its life ends.
    struct Life: Sendable {
        var orderId: String
        var paymentId: String
        var customer: String
        var items: [(String, Int)]
        var cancelled: Bool
        var rider: String?
    }

    @Test func ordersLiveTheirWholeLivesOnSeveralPrimariesWithExactDashboardsAndOneNoticePerChange() async throws {
        let cluster = try RedisClusterServers()
        defer { cluster.stop() }
        let deployment = try await Deployment.onCluster(cluster)
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        var tokens: [String: String] = [:]
        for id in ["c-cl-0", "c-cl-1", "c-cl-2", "c-cl-3", "r-cl-0", "r-cl-1"] {
            tokens[id] = try await id.hasPrefix("c-") ? deployment.customer(id) : deployment.rider(id)
        }

        // Eight orders from four customers; the last one is cancelled after the store accepted it.
        var lives: [Life] = []
        for index in 0..<8 {
            let customer = "c-cl-\(index % 4)"
            let items = index % 2 == 0 ? [("fried-chicken", index % 3 + 1)] : [("seasoned-chicken", 1), ("cola", index % 3 + 1)]
            let reply = try await deployment.placeOrder(tokens[customer]!, items: items, key: "k-\(index)")
            #expect(reply.status == 201, "\(reply.body)\n\(deployment.logs)")
            let orderId = try #require(reply.object["orderId"] as? String)
            let paymentId = try #require(reply.object["paymentId"] as? String)
            lives.append(Life(orderId: orderId, paymentId: paymentId, customer: customer, items: items, cancelled: index == 7,
                              rider: index == 7 ? nil : "r-cl-\(index % 2)"))
        }

        // Each order's keys are in its partition's slot, on the primary that serves that slot and
        // on no other; the orders are on more than one primary.
        let primaries = try cluster.primaryPorts()
        var owners: [String: Int] = [:]
        for life in lives {
            let port = try deployment.primaryPort(ofOrder: life.orderId)
            owners[life.orderId] = port
            let key = deployment.keySpace.keys(forOrder: life.orderId).order(life.orderId)
            #expect(HashSlot(key: key) == deployment.slot(ofOrder: life.orderId))
            #expect(try cluster.connect(port: port).send(RedisCommand("EXISTS", key)).int == 1, "\(key) on \(port)")
            let slot = String(HashSlot(key: key).value)
            for primary in primaries where primary != port {
                let count = try cluster.connect(port: primary).send(RedisCommand("CLUSTER", "COUNTKEYSINSLOT", slot)).int
                #expect(count == 0, "slot \(slot) has keys on \(primary) too (its primary: \(port))")
            }
        }
        #expect(Set(owners.values).count > 1, "the orders' partitions are served by more than one primary: \(owners)")

        // Their whole lives through HTTP.
        for life in lives {
            #expect(try await deployment.call("POST", "/orders/\(life.orderId)/accept", token: owner).status == 200)
            if life.cancelled {
                #expect(try await deployment.call("POST", "/orders/\(life.orderId)/cancel", token: tokens[life.customer]).status == 200)
                continue
            }
            for step in ["start-cooking", "finish-cooking"] {
                #expect(try await deployment.call("POST", "/orders/\(life.orderId)/\(step)", token: owner).status == 200)
            }
            let rider = try #require(life.rider.flatMap { tokens[$0] })
            #expect(await eventually(seconds: 15) {
                (try? await deployment.call("GET", "/deliveries?region=gangnam", token: rider))?.array.contains { $0["orderId"] as? String == life.orderId } == true
            }, "the riders' board shows \(life.orderId)\n\(deployment.logs)")
            for step in ["pick", "deliver"] {
                let reply = try await deployment.call("POST", "/deliveries/\(life.orderId)/\(step)", token: rider)
                #expect(reply.status == 200, "\(step): \(reply.body)")
            }
            #expect(try await deployment.call("POST", "/orders/\(life.orderId)/confirm", token: tokens[life.customer]).status == 200)
            #expect(try await deployment.status(of: life.orderId, tokens[life.customer]!) == "completed")
        }

        // One notification per change, each in the customer's merged inbox.
        let completed = ["completed", "delivered", "picked", "cooked", "cooking", "accepted", "placed"]
        for life in lives {
            let expected = life.cancelled ? ["cancelled", "accepted", "placed"] : completed
            var seen: [String] = []
            #expect(await eventually(seconds: 15) {
                let inbox = (try? await deployment.call("GET", "/customers/me/notifications", token: tokens[life.customer]))?.array ?? []
                seen = inbox.filter { $0["orderId"] as? String == life.orderId }.compactMap { $0["status"] as? String }
                return seen == expected
            }, "\(life.orderId)'s notices: \(seen)\n\(deployment.logs)")
        }
        // The cancelled order is refunded.
        let cancelled = try #require(lives.last)
        #expect(await eventually(seconds: 15) {
            (try? await deployment.call("GET", "/payments/\(cancelled.paymentId)", port: deployment.paymentPort))?.object["status"] as? String == "cancelled"
        }, "\(deployment.logs)")

        // Every event about an order is on its partition's streams, each once.
        for life in lives {
            let k = deployment.keySpace.partition(of: life.orderId)
            for other in 0..<Deployment.clusterPartitions where other != k {
                let entries = try deployment.clusterCommand("XRANGE", deployment.keySpace.keys(ofPartition: other).stream(.order), "-", "+").array ?? []
                #expect(!entries.contains { ($0.array?.last ?? .null).fields["orderId"]?.string == life.orderId }, "\(life.orderId) on partition \(other)")
            }
            let types = try deployment.clusterEvents(.order).filter { $0.orderId == life.orderId }.map(\.type)
            #expect(types == (life.cancelled ? ["OrderPlaced", "OrderCancelled"] : ["OrderPlaced", "OrderCompleted"]), "\(life.orderId): \(types)")
        }

        // The dashboards, exact: through the API (merged) and as the sum of the partitions' parts.
        var food: [String: Int] = [:]
        var ridden: [String: Int] = [:]
        for life in lives where !life.cancelled {
            for (foodId, qty) in life.items { food[foodId, default: 0] += qty }
            ridden[life.rider!, default: 0] += 1
        }
        var shown: ([String: Int], [String: Int]) = ([:], [:])
        #expect(await eventually(seconds: 15) {
            let api = ((try? await deployment.call("GET", "/dashboard/food-orders", token: owner))?.object ?? [:])
                .compactMapValues { $0 as? Int }.filter { $0.value != 0 }
            let riders = ((try? await deployment.call("GET", "/dashboard/rider-deliveries", token: owner))?.object ?? [:]).compactMapValues { $0 as? Int }
            shown = (api, riders)
            return api == food && riders == ridden
        }, "the API's dashboards \(shown) equal what happened \(food) \(ridden)")
        #expect(try deployment.dashboardParts(.foodOrders).filter { $0.value != 0 } == food)
        #expect(try deployment.dashboardParts(.riderDeliveries) == ridden)
        #expect(try deployment.deadLetterCount() == 0)
        // The keys spread: every primary holds at least a fifth of them.
        let sizes = try primaries.map { try cluster.connect(port: $0).send(RedisCommand("DBSIZE")).int ?? 0 }
        #expect(sizes.allSatisfy { $0 * 5 >= sizes.reduce(0, +) }, "keys per primary: \(sizes)")
        for process in deployment.processes { #expect(process.isRunning, "\(process.name) died:\n\(process.log.suffix(2000))") }
    }

    /// The ordering races on a cluster, each order on its own partition's primary: the same
    /// `Idempotency-Key` eight times at once is one order and one payment; cancel against
    /// start-cooking has one winner per order; ten riders picking one delivery, one winner.
    @Test func racesHaveOneWinnerAndOneKeyIsOneOrderOnACluster() async throws {
        let cluster = try RedisClusterServers()
        defer { cluster.stop() }
        let deployment = try await Deployment.onCluster(cluster)
        let customer = try await deployment.customer("c-cl-race")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")

        let replies = try await withThrowingTaskGroup(of: Deployment.Reply.self) { group in
            for _ in 0..<8 { group.addTask { try await deployment.placeOrder(customer, key: "k-same") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.allSatisfy { $0.status == 201 }, "\(replies.map(\.status))")
        #expect(Set(replies.map(\.body)).count == 1)
        let same = try #require(replies.first?.object["orderId"] as? String)
        #expect(try deployment.clusterEvents(.order).filter { $0.orderId == same }.map(\.type) == ["OrderPlaced"])
        #expect(try deployment.clusterEvents(.payment).filter { $0.orderId == same }.map(\.type) == ["PaymentApproved"])

        // Cancel against start-cooking, twelve accepted orders over the partitions.
        var orderIds: [String] = []
        for _ in 0..<12 {
            let id = try await deployment.placed(customer)
            #expect(try await deployment.call("POST", "/orders/\(id)/accept", token: owner).status == 200)
            orderIds.append(id)
        }
        #expect(Set(try orderIds.map { try deployment.primaryPort(ofOrder: $0) }).count > 1, "the orders are on more than one primary")
        let outcomes = try await deployment.cancelRacingStartCooking(orderIds, customer: customer, owner: owner)
        let events = try deployment.clusterEvents(.order) + deployment.clusterEvents(.store)
        for (id, cancel, cook) in outcomes {
            #expect([cancel, cook].sorted() == [200, 409], "order \(id): cancel \(cancel), start-cooking \(cook)")
            #expect(try await deployment.status(of: id, customer) == (cancel == 200 ? "cancelled" : "cooking"))
            let announced = events.filter { $0.orderId == id && ($0.type == "OrderCancelled" || $0.type == "CookingStarted") }.count
            #expect(announced == 1, "order \(id) announced \(announced) outcomes")
        }

        // Ten riders race for one cooked order.
        // (All twelve cancels may win the race: then an order cooked without a race serves.)
        var raced = outcomes.first { $0.1 == 409 }?.0
        if raced == nil {
            let fresh = try await deployment.placed(customer)
            for step in ["accept", "start-cooking"] {
                #expect(try await deployment.call("POST", "/orders/\(fresh)/\(step)", token: owner).status == 200)
            }
            raced = fresh
        }
        let cooking = try #require(raced)
        #expect(try await deployment.call("POST", "/orders/\(cooking)/finish-cooking", token: owner).status == 200)
        let someRider = try await deployment.rider("r-cl-look")
        #expect(await eventually(seconds: 15) {
            (try? await deployment.call("GET", "/deliveries?region=gangnam", token: someRider))?.array.contains { $0["orderId"] as? String == cooking } == true
        }, "\(deployment.logs)")
        var riders: [String: String] = [:]
        for index in 0..<10 { riders["r-cl-\(index)"] = try await deployment.rider("r-cl-\(index)") }
        let picks = try await withThrowingTaskGroup(of: Int.self) { group in
            for token in riders.values { group.addTask { try await deployment.call("POST", "/deliveries/\(cooking)/pick", token: token).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(picks.filter { $0 == 200 }.count == 1 && picks.filter { $0 == 409 }.count == 9, "\(picks)")
        #expect(try deployment.clusterEvents(.delivery).filter { $0.orderId == cooking }.map(\.type) == ["DeliveryOpened", "DeliveryPicked"])
        #expect(try deployment.deadLetterCount() == 0)
    }
}
