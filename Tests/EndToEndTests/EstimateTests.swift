import Contract
import Foundation
import Notifications
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

    @Test func aDeliveryThatSlipsPastItsPromiseIsToldOnce() async throws {
        // A slip notice of 3 s instead of 10 min, so that the test lasts seconds.
        let deployment = try await Deployment(environment: ["BAEDAL_SLIP_NOTICE_S": "3"])
        // Lately every stage took no time at this store and in this region: the promise made at
        // placement is the placement's own time, so the order is late 3 s later.
        for stage in OrderStage.allCases {
            let key = stage.isStores ? "baedal:store:s-gangnam-chicken:timings:\(stage.rawValue)" : "baedal:deliveries:gangnam:timings:\(stage.rawValue)"
            for _ in 0..<5 { _ = try deployment.redisCommand("LPUSH", key, "0") }
        }
        let customer = try await deployment.customer("c-slip")
        let order = try await deployment.placed(customer)
        #expect(await eventually(seconds: 15) {
            (try? deployment.redisCommand("ZSCORE", "baedal:estimates:promised", order).string) != nil
                && (try? deployment.redisCommand("ZSCORE", "baedal:deadlines", "slip:\(order)").string) != nil
        }, "promised at placement, with its check\n\(deployment.logs)")
        let inbox = "baedal:customer:c-slip:notifications"
        func slips() -> [[String: Any]] {
            ((try? deployment.redisCommand("ZRANGE", inbox, "0", "-1").strings) ?? [])
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { ($0["text"] as? String) == DeliverySlips.slippedText }
        }
        #expect(await eventually(seconds: 20) { slips().count == 1 }, "told once it slipped\n\(deployment.logs)")
        let told = try #require(slips().first)
        let estimate = try #require(millis(told["estimatedDeliveryAt"]))
        let before = try #require(millis(told["previouslyEstimated"]))
        #expect(estimate >= before + 3_000, "\(told)")

        // Delivered before the next check: the order's end clears the check and the promise.
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let rider = try await deployment.rider("r-slip")
        for step in ["accept", "start-cooking", "finish-cooking"] {
            #expect(try await deployment.call("POST", "/orders/\(order)/\(step)", token: owner).status == 200)
        }
        for step in ["pick", "deliver"] { #expect(try await deployment.call("POST", "/deliveries/\(order)/\(step)", token: rider).status == 200) }
        #expect(try deployment.redisCommand("ZSCORE", "baedal:deadlines", "slip:\(order)") == .null, "cleared by the delivery's commit")
        #expect(await eventually(seconds: 15) { (try? deployment.redisCommand("ZSCORE", "baedal:estimates:promised", order)) == .null },
                "\(deployment.logs)")
        #expect(await eventually(seconds: 15) {
            ((try? deployment.redisCommand("ZRANGE", inbox, "0", "-1").strings) ?? []).contains { $0.contains(#""status":"delivered""#) }
        })
        #expect(slips().count == 1, "told once: \(slips())")
    }

    private func millis(_ value: Any?) -> Int64? { (value as? Int).map(Int64.init) }
}
