import Foundation
import Redis
import Testing
import TestSupport

/// Issue 11: retries that outlast an outage. A handling that fails is delivered again after 1 s,
/// 2 s, 4 s, … (the defaults), so an outage dead-letters nothing, and the messages behind the
/// failing ones go on meanwhile. Each outage here lasts until the retry book shows the deliveries
/// it is about, not for a number of seconds.
@Suite("Retries with growing delays outlast an outage", .serialized)
struct RetryBackoffTests {
    @Test func aWebhookReceiverDownThroughSixDeliveriesGetsEveryMessageOnceAndNewOnesAreNotHeldUp() async throws {
        let receiver = try WebhookReceiver()
        receiver.refusing = true
        let deployment = try await Deployment(workers: [])
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": receiver.url])
        let customer = try await deployment.customer("c-outage")
        var early: [String] = []
        for _ in 0..<3 { early.append(try await deployment.placed(customer)) }
        // The inbox does not wait for the webhook.
        #expect(await eventually(seconds: 10) {
            (try? await deployment.call("GET", "/customers/me/notifications", token: customer))?.array.count == 3
        })
        // The failing messages are parked, and the operator sees when each is due again.
        #expect(await eventually(seconds: 10) { receiver.requests.count >= 6 }, "retried at 1 s")
        let pending = try BaedalProcess("baedalctl", ["pending", "notification-webhook"], environment: deployment.base)
        #expect(await pending.waitForExit() == 0)
        #expect(pending.log.contains("next in") && pending.log.contains("webhook answered 500"), "\(pending.log)")

        // The outage lasts until each of the three has failed its 6th delivery (about 31 s in:
        // 0, 1, 3, 7, 15, 31 s); each is then parked for 32 s more, none dead-lettered.
        let outlasted = await eventually(seconds: 60, every: 200) {
            let book = (try? deliveriesInRetryBook(deployment, group: "notification-webhook")) ?? []
            return book.count == 3 && book.allSatisfy { $0 >= 6 }
        }
        try #require(outlasted, "the retry book holds the three early messages, each after 6 failed deliveries: \((try? deliveriesInRetryBook(deployment, group: "notification-webhook")) ?? [])")
        let refusedDuringOutage = receiver.requests.count
        receiver.refusing = false
        // A message written after the outage goes out at once, not behind the parked ones
        // (their next delivery is due about 63 s after the start).
        let late = try await deployment.placed(customer)
        #expect(await eventually(seconds: 10) { receiver.accepted.contains { $0.body.contains(late) } }, "\(deployment.logs)")
        #expect(!receiver.accepted.contains { request in early.contains { request.body.contains($0) } }, "the new message went first")
        // Then every parked message arrives, each exactly once.
        #expect(await eventually(seconds: 60) { Set(receiver.accepted.compactMap { $0.headers["idempotency-key"] }).count == 4 },
                "\(receiver.accepted.count) accepted; \(deployment.logs)")
        // Counted once nothing is left to deliver again: every message acknowledged (a delivery
        // is recorded by the receiver before it is answered, so before its acknowledgement) and
        // the retry book clean.
        #expect(await eventually(seconds: 10) {
            (try? pendingCount(deployment, stream: "notify-webhook", group: "notification-webhook")) == 0
                && (try? deployment.redisCommand("HLEN", "baedal:retry:notification-webhook").int) == 0
        }, "every webhook message acknowledged and the retry book clean")
        #expect(receiver.accepted.count == 4, "each message once: \(receiver.accepted.map { $0.headers["idempotency-key"] ?? "-" })\n\(deployment.workers["notification"]?.first?.log ?? "")")
        #expect(refusedDuringOutage >= 3 * 6, "retried through the outage: \(refusedDuringOutage) attempts")
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == 0, "nothing dead-lettered")
    }

    @Test func refundsWaitForTheGatewayAndAllHappenOnceItIsBack() async throws {
        let deployment = try await Deployment(workers: ["payment-refund"])
        let customer = try await deployment.customer("c-refund-outage")
        var payments: [String] = []
        var orders: [String] = []
        for _ in 0..<3 {
            let placed = try await deployment.placeOrder(customer)
            orders.append(try #require(placed.object["orderId"] as? String))
            payments.append(try #require(placed.object["paymentId"] as? String))
        }
        await deployment.stopPayment()
        for orderId in orders {
            #expect(try await deployment.call("POST", "/orders/\(orderId)/cancel", token: customer).status == 200)
        }
        // Refused until each refund has failed its 4th delivery (tried at 0, 1, 3 and 7 s, then
        // parked until 15 s): all three wait in the retry book, none dead-lettered.
        let waiting = await eventually(seconds: 30, every: 200) {
            let book = (try? deliveriesInRetryBook(deployment, group: "payment-refund")) ?? []
            return book.count == 3 && book.allSatisfy { $0 >= 4 }
        }
        #expect(waiting, "the retry book holds the three refunds, each after 4 failed deliveries: \((try? deliveriesInRetryBook(deployment, group: "payment-refund")) ?? [])")
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == 0, "nothing dead-lettered while the gateway is down")
        try await deployment.startPayment()
        let refunded = await eventually(seconds: 30) {
            var all = true
            for paymentId in payments {
                let payment = try? await deployment.call("GET", "/payments/\(paymentId)", port: deployment.paymentPort)
                all = all && payment?.object["status"] as? String == "cancelled"
            }
            return all
        }
        #expect(refunded, "\(deployment.logs)")
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == 0)
        #expect(await eventually(seconds: 10) { (try? pendingCount(deployment, stream: "order", group: "payment-refund")) == 0 })
    }

    /// The deliveries so far of each message waiting in `group`'s retry book (its values are
    /// `<due ms> <deliveries> <reason>`).
    private func deliveriesInRetryBook(_ deployment: Deployment, group: String) throws -> [Int] {
        try deployment.redisCommand("HVALS", "baedal:retry:\(group)").strings.map { value in
            let parts = value.split(separator: " ")
            return parts.count > 1 ? Int(parts[1]) ?? -1 : -1
        }
    }

    private func pendingCount(_ deployment: Deployment, stream: String, group: String) throws -> Int {
        let summary = try deployment.redisCommand("XPENDING", "baedal:events:\(stream)", group)
        return summary.array?.first?.int ?? -1
    }
}
