import Foundation
import Redis
import Testing
import TestSupport

/// Issue 14: every event the services write validates against `schemas/events/`, and a consumer
/// in another language (examples/python-consumer, on redis-py) reads them beside the workers.
@Suite("Event schemas and a Python consumer", .serialized)
struct EventSchemaTests {
    @Test func everyEventOfAScenarioValidatesAndThePythonConsumerReadsEachOnce() async throws {
        let python = try venvPython()
        let receiver = try WebhookReceiver()
        let deployment = try await Deployment(workers: ["store-inbox", "payment-refund", "delivery-dispatch", "projector"])
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": receiver.url])
        let consumer = try BaedalProcess(python, [packageRoot().appendingPathComponent("examples/python-consumer/consumer.py").path],
                                         environment: ["BAEDAL_REDIS_URL": deployment.redis.url], executablePath: true)
        #expect(await eventually(seconds: 10) { consumer.log.contains("consuming") }, "\(consumer.log)")

        let customer = try await deployment.customer("c-schema")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let rider = try await deployment.rider("r-schema")
        // The whole way: placed → … → completed.
        let done = try await deployment.placed(customer, items: [("fried-chicken", 2), ("cola", 1)])
        for step in ["accept", "start-cooking", "finish-cooking"] { _ = try await deployment.call("POST", "/orders/\(done)/\(step)", token: owner) }
        #expect(await eventually(seconds: 10) { (try? deployment.eventTypes("delivery", orderId: done)) == ["DeliveryOpened"] })
        _ = try await deployment.call("POST", "/deliveries/\(done)/pick", token: rider)
        _ = try await deployment.call("POST", "/deliveries/\(done)/deliver", token: rider)
        _ = try await deployment.call("POST", "/orders/\(done)/confirm", token: customer)
        // A cancel (refund, delivery cancelled) and a rejection.
        let cancelled = try await deployment.placed(customer)
        _ = try await deployment.call("POST", "/orders/\(cancelled)/cancel", token: customer, body: #"{"reason":"마음이 바뀌었어요"}"#)
        let rejected = try await deployment.placed(customer)
        _ = try await deployment.call("POST", "/orders/\(rejected)/reject", token: owner, body: #"{"reason":"재료 소진"}"#)
        // The gateway cancels a picked order's payment: flagged for an operator.
        let flagged = try await deployment.placeOrder(customer)
        let flaggedId = try #require(flagged.object["orderId"] as? String)
        for step in ["accept", "start-cooking", "finish-cooking"] { _ = try await deployment.call("POST", "/orders/\(flaggedId)/\(step)", token: owner) }
        _ = try await deployment.call("POST", "/deliveries/\(flaggedId)/pick", token: rider)
        _ = try await deployment.call("POST", "/payments/\(flagged.object["paymentId"] as? String ?? "")/cancel", body: "{}", port: deployment.paymentPort)
        #expect(await eventually(seconds: 15) { (try? deployment.redisCommand("XLEN", "baedal:flags").int) == 1 }, "\(deployment.logs)")
        #expect(await eventually(seconds: 15) { (try? deployment.eventTypes("payment"))?.filter { $0 == "PaymentCancelled" }.count == 3 })
        #expect(await eventually(seconds: 15) { receiver.accepted.count >= 14 }, "the webhook outbox")

        // A charge the API gave up on (the gateway slower than its timeout): PaymentVoidRequested.
        let slow = try await Deployment(payment: ["BAEDAL_PAYMENT_LATENCY_MS": "600"], api: ["BAEDAL_PAYMENT_TIMEOUT_MS": "150"], workers: [])
        #expect(try await slow.placeOrder(try await slow.customer("c-slow")).status == 503)

        // Deadlines (issue 24): an order its store ignores (DeadlineDue, OrderRejected by the
        // platform) and a cooked one nobody picks (PickupOverdue, on the flags and the deadlines stream).
        let timed = try await Deployment(workers: ["store-inbox", "delivery-dispatch", "notification"],
                                         environment: ["BAEDAL_ACCEPT_TIMEOUT_S": "3", "BAEDAL_PICKUP_TIMEOUT_S": "1"])
        let late = try await timed.customer("c-late")
        let lateOwner = try await timed.owner(of: "s-gangnam-chicken")
        let ignored = try await timed.placed(late)
        let unpicked = try await timed.placed(late)
        for step in ["accept", "start-cooking", "finish-cooking"] { _ = try await timed.call("POST", "/orders/\(unpicked)/\(step)", token: lateOwner) }
        #expect(await eventually(seconds: 20) { (try? timed.eventTypes("store", orderId: ignored)) == ["OrderRejected"] }, "\(timed.logs)")
        #expect(await eventually(seconds: 20) { (try? timed.eventTypes("deadlines", orderId: unpicked))?.contains("PickupOverdue") == true },
                "\(timed.logs)")

        // Every entry of every stream, validated with the schemas by jsonschema.
        var dump: [[String: String]] = []
        for (target, streams) in [(deployment, ["order", "payment", "store", "delivery", "payment-voids", "notify-webhook"]), (slow, ["payment-voids"]),
                                  (timed, ["store", "deadlines"])] {
            for stream in streams { dump += try entries(target, "baedal:events:\(stream)") }
        }
        dump += try entries(deployment, "baedal:flags") + entries(timed, "baedal:flags")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-events-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: dump).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let validation = try await runProgram(python, [packageRoot().appendingPathComponent("scripts/validate-events.py").path,
                                                       packageRoot().appendingPathComponent("schemas/events").path, file.path])
        #expect(validation.status == 0, "\(validation.output)")
        let types = Set(validation.output.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        let schemas = try FileManager.default.contentsOfDirectory(atPath: packageRoot().appendingPathComponent("schemas/events").path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        #expect(types == Set(schemas), "every schema is exercised and every event type has one: \(validation.output)")

        // The Python consumer printed every order and delivery event once, valid, and acknowledged them.
        let expected = try entries(deployment, "baedal:events:order") + entries(deployment, "baedal:events:delivery")
        #expect(await eventually(seconds: 15) {
            let lines = consumer.log.split(separator: "\n").filter { $0.hasPrefix("baedal:events:") }
            return lines.count == expected.count
        }, "\(consumer.log)")
        let lines = consumer.log.split(separator: "\n").filter { $0.hasPrefix("baedal:events:") }
        #expect(lines.allSatisfy { $0.hasSuffix(" valid") }, "\(lines)")
        // An entry is its stream and id: two streams may hold the same id (entries of one millisecond).
        #expect(Set(lines.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }).count == expected.count, "each entry once")
        for stream in ["order", "delivery"] {
            #expect(try deployment.redisCommand("XPENDING", "baedal:events:\(stream)", "python-consumer").array?.first?.int == 0)
        }
        consumer.signal(SIGTERM)
        let status = await consumer.waitForExit()
        #expect(status == 0, "\(String(describing: status)) \(consumer.log.suffix(500))")
    }

    private func entries(_ deployment: Deployment, _ key: String) throws -> [[String: String]] {
        (try deployment.redisCommand("XRANGE", key, "-", "+").array ?? []).compactMap { entry in
            guard let id = entry.array?.first?.string else { return nil }
            let fields = (entry.array?.last ?? .null).fields
            return ["stream": key, "id": id, "type": fields["type"]?.string ?? "?", "data": fields["data"]?.string ?? ""]
        }
    }
}
