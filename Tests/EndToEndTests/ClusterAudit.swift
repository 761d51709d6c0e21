import Contract
import Foundation
import Redis
import Testing
import TestSupport

/// What must hold on a cluster after a load of orders (`FailoverTests.Load`: one fried chicken
/// each, none cancelled) went through a failure: every order a user was told succeeded exists
/// once, with one `OrderPlaced` and one payment; every event was handled once (each dashboard
/// equals the events, through the API and as the sum of its parts; each order has one "placed"
/// notice); nothing was dead-lettered; no process restarted.
struct ClusterAudit {
    let deployment: Deployment
    let placed: [FailoverTests.Placed]
    let clients: Int

    func expectNothingLostNorDoubled(owner: String) async throws {
        let keySpace = deployment.keySpace
        #expect(Set(placed.map(\.orderId)).count == placed.count, "one order per key")
        #expect(Set(placed.map(\.key)).count == placed.count, "one 201 per key")
        for order in placed {
            let stored = try deployment.clusterCommand("HGET", keySpace.keys(forOrder: order.orderId).order(order.orderId), "paymentId").string
            #expect(stored == order.paymentId, "\(order.orderId) lost (its payment: \(stored ?? "none"))")
        }
        let placedEvents = try deployment.clusterEvents(.order).filter { $0.type == "OrderPlaced" }.map(\.orderId)
        var placedCount: [String: Int] = [:]
        for id in placedEvents { placedCount[id, default: 0] += 1 }
        let notOnce = placed.filter { placedCount[$0.orderId] != 1 }
        #expect(notOnce.isEmpty, "\(notOnce.count) acknowledged orders without exactly one OrderPlaced, e.g. \(notOnce.prefix(3).map(\.orderId))")
        #expect(placedCount.values.allSatisfy { $0 == 1 }, "an order placed twice")
        var approvals: [String: Int] = [:]
        for event in try deployment.clusterEvents(.payment) where event.type == "PaymentApproved" { approvals[event.orderId, default: 0] += 1 }
        #expect(placed.allSatisfy { approvals[$0.orderId] == 1 }, "one payment each")

        // Every order in the streams counted once: one unit of fried chicken each (an order whose
        // first answer was a 503 still counts once it exists, whether or not its retry was seen).
        let expected = placedEvents.count
        var shown = (api: -1, parts: -1)
        #expect(await eventually(seconds: 45, every: 200) {
            let api = (try? await deployment.call("GET", "/dashboard/food-orders", token: owner))?.object["fried-chicken"] as? Int ?? -1
            let parts = (try? deployment.dashboardParts(.foodOrders)["fried-chicken"]) ?? -1
            shown = (api, parts)
            return api == expected && parts == expected
        }, "the food dashboard (API \(shown.api), parts \(shown.parts)) equals the \(expected) orders placed\n\(deployment.logs)")

        // Each acknowledged order has exactly one "placed" notice in its customer's inbox.
        for client in 0..<clients {
            let mine = placed.filter { $0.client == client }
            var missing: [String] = []
            #expect(await eventually(seconds: 45, every: 200) {
                let inbox = (try? deployment.inboxStatuses(of: "c-load-\(client)")) ?? [:]
                missing = mine.map(\.orderId).filter { id in inbox[id]?.filter { $0 == "placed" }.count != 1 }
                return missing.isEmpty
            }, "client \(client): \(missing.count) of \(mine.count) orders without exactly one 'placed' notice, e.g. \(missing.prefix(3))\n\(deployment.logs)")
        }
        #expect(try deployment.deadLetterCount() == 0, "nothing dead-lettered")
        for process in deployment.processes { #expect(process.isRunning, "\(process.name) restarted or died:\n\(process.log.suffix(2000))") }
    }
}
