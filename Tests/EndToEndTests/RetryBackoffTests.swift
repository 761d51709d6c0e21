import Foundation
import Redis
import Testing
import TestSupport

/// Issue 11: retries that outlast an outage. A handling that fails is delivered again after 1 s,
/// 2 s, 4 s, … (the defaults), so an outage of a minute dead-letters nothing, and the messages
/// behind the failing ones go on meanwhile.
@Suite("Retries with growing delays outlast an outage", .serialized)
struct RetryBackoffTests {
    @Test func aWebhookReceiverDownFor45SecondsGetsEveryMessageOnceAndNewOnesAreNotHeldUp() async throws {
        let receiver = try WebhookReceiver()
        receiver.refusing = true
        let deployment = try await Deployment(workers: [])
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": receiver.url])
        let started = Date()
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

        while Date().timeIntervalSince(started) < 45 { try await Task.sleep(for: .milliseconds(200)) }
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
        try await Task.sleep(for: .seconds(2))
        #expect(receiver.accepted.count == 4, "each message once: \(receiver.accepted.map { $0.headers["idempotency-key"] ?? "-" })\n\(deployment.workers["notification"]?.first?.log ?? "")")
        #expect(refusedDuringOutage >= 3 * 6, "retried through the outage: \(refusedDuringOutage) attempts")
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == 0, "nothing dead-lettered")
        #expect(await eventually(seconds: 10) { (try? pendingCount(deployment, stream: "notify-webhook", group: "notification-webhook")) == 0 })
        #expect(try deployment.redisCommand("HLEN", "baedal:retry:notification-webhook").int == 0, "the retry book is clean")
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
        // Refused for 12 s: the refunds are tried at 0, 1, 3 and 7 s and parked until 15 s.
        try await Task.sleep(for: .seconds(12))
        #expect(try deployment.redisCommand("HLEN", "baedal:retry:payment-refund").int == 3)
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

    private func pendingCount(_ deployment: Deployment, stream: String, group: String) throws -> Int {
        let summary = try deployment.redisCommand("XPENDING", "baedal:events:\(stream)", group)
        return summary.array?.first?.int ?? -1
    }
}
