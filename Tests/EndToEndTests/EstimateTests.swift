import Contract
import Foundation
import Orders
import Redis
import Testing
import TestSupport

/// Issue 24, test 4: `estimatedDeliveryAt` from what the projector measured, with real processes.
@Suite("Estimated delivery time, end to end", .serialized)
struct EstimateTests {
    @Test func aStoreWhoseOrdersCookedInTenMinutesIsEstimatedTenMinutesLater() async throws {
        let deployment = try await Deployment(workers: ["projector"])
        // Ten orders each at two stores of one region, as their events said (an external producer
        // could write these): ten minutes of cooking at the chicken store, none at the bunsik one.
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        for (store, minutes) in [("s-gangnam-chicken", Int64(10)), ("s-gangnam-bunsik", 0)] {
            for index in 0..<10 {
                let data = #"{"orderId":"o-past-\#(store)-\#(index)","storeId":"\#(store)","region":"gangnam","since":\#(now - minutes * 60_000)}"#
                _ = try deployment.redisCommand("XADD", "baedal:events:store", "*", "type", "CookingFinished", "orderId", "o-past-\(store)-\(index)",
                                                "at", String(now), "data", data)
            }
        }
        #expect(await eventually(seconds: 15) {
            ["s-gangnam-chicken", "s-gangnam-bunsik"].allSatisfy { (try? deployment.redisCommand("LLEN", "baedal:store:\($0):timings:cook").int) == 10 }
        }, "\(deployment.logs)")

        let customer = try await deployment.customer("c-estimate")
        let slow = try await deployment.placed(customer, store: "s-gangnam-chicken")
        let fast = try await deployment.placed(customer, items: [("tteokbokki", 1)], store: "s-gangnam-bunsik")
        let slowReply = try await deployment.call("GET", "/orders/\(slow)", token: customer)
        let fastReply = try await deployment.call("GET", "/orders/\(fast)", token: customer)
        let slowAt = try #require(millis(slowReply.object["estimatedDeliveryAt"]), "\(slowReply.body)")
        let fastAt = try #require(millis(fastReply.object["estimatedDeliveryAt"]), "\(fastReply.body)")
        let slowPlaced = try #require(millis(slowReply.object["placedAt"]))
        let fastPlaced = try #require(millis(fastReply.object["placedAt"]))
        // Everything else equal (the same region, no history of the other stages): ten minutes
        // apart, give or take the time between the two placements.
        #expect((slowAt - slowPlaced) - (fastAt - fastPlaced) == 10 * 60_000, "\(slowReply.body) \(fastReply.body)")
        // Within the README's bounds: not before now, at most two hours per stage ahead.
        let after = Int64(Date().timeIntervalSince1970 * 1_000)
        for at in [slowAt, fastAt] {
            #expect(at >= now && at <= after + Int64(OrderStage.allCases.count) * StageTimes.longest)
        }

        // A real order's events carry `since`, and the projector measures its stages.
        let owner = try await deployment.owner(of: "s-gangnam-bunsik")
        for step in ["accept", "start-cooking", "finish-cooking"] {
            #expect(try await deployment.call("POST", "/orders/\(fast)/\(step)", token: owner).status == 200)
        }
        #expect(await eventually(seconds: 15) {
            (try? deployment.redisCommand("LLEN", "baedal:store:s-gangnam-bunsik:timings:cook").int) == 11
                && (try? deployment.redisCommand("LLEN", "baedal:store:s-gangnam-bunsik:timings:accept").int) == 1
                && (try? deployment.redisCommand("LLEN", "baedal:store:s-gangnam-bunsik:timings:start").int) == 1
        }, "\(deployment.logs)")
        let cooked = try await deployment.call("GET", "/orders/\(fast)", token: customer)
        #expect(cooked.object["status"] as? String == "cooked")
        #expect(millis(cooked.object["estimatedDeliveryAt"]) != nil, "\(cooked.body)")
        // The lists keep the latest twenty.
        for index in 0..<30 {
            let data = #"{"orderId":"o-more-\#(index)","storeId":"s-gangnam-bunsik","region":"gangnam","since":\#(now)}"#
            _ = try deployment.redisCommand("XADD", "baedal:events:store", "*", "type", "CookingFinished", "orderId", "o-more-\(index)",
                                            "at", String(now + 1_000), "data", data)
        }
        #expect(await eventually(seconds: 15) {
            (try? deployment.redisCommand("LRANGE", "baedal:store:s-gangnam-bunsik:timings:cook", "0", "-1").strings) == Array(repeating: "1000", count: 20)
        }, "\(deployment.logs)")
    }

    private func millis(_ value: Any?) -> Int64? { (value as? Int).map(Int64.init) }
}
