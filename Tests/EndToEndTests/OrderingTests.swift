import Foundation
import Redis
import Testing
import TestSupport

/// Issue 3 end to end: `baedal-api`, `baedal-payment` and the workers as real processes.
@Suite("Ordering: API, payment, store steps, cancel and refund", .serialized)
struct OrderingTests {
    @Test func happyPathToCookedWithEveryEventOnItsStream() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-happy")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let placed = try await deployment.placeOrder(customer, items: [("fried-chicken", 2), ("cola", 1)])
        #expect(placed.status == 201)
        #expect(placed.object["status"] as? String == "placed")
        #expect(placed.object["amount"] as? Int == 2 * 18_000 + 2_500)  // priced from the menu
        let orderId = try #require(placed.object["orderId"] as? String)
        let paymentId = try #require(placed.object["paymentId"] as? String)

        for (step, status) in [("accept", "accepted"), ("start-cooking", "cooking"), ("finish-cooking", "cooked")] {
            let reply = try await deployment.call("POST", "/orders/\(orderId)/\(step)", token: owner)
            #expect(reply.status == 200, "\(step): \(reply.body)")
            #expect(try await deployment.status(of: orderId, customer) == status)
        }
        #expect(try deployment.eventTypes("order", orderId: orderId) == ["OrderPlaced"])
        #expect(try deployment.eventTypes("store", orderId: orderId) == ["OrderAccepted", "CookingStarted", "CookingFinished"])
        #expect(try deployment.eventTypes("payment", orderId: orderId) == ["PaymentApproved"])
        let payment = try await deployment.call("GET", "/payments/\(paymentId)", port: deployment.paymentPort)
        #expect(payment.object["status"] as? String == "approved")
        #expect(payment.object["amount"] as? Int == 38_500)
        // The owner's board (store-inbox) shows it with its status.
        #expect(await eventually(seconds: 10) {
            let board = try? await deployment.call("GET", "/stores/s-gangnam-chicken/orders", token: owner)
            return board?.array.first { $0["orderId"] as? String == orderId }?["status"] as? String == "cooked"
        })
    }

    @Test func cancelRefundsAtTheGatewayAndAnnouncesIt() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-cancel")
        let placed = try await deployment.placeOrder(customer)
        let orderId = try #require(placed.object["orderId"] as? String)
        let paymentId = try #require(placed.object["paymentId"] as? String)
        let cancel = try await deployment.call("POST", "/orders/\(orderId)/cancel", token: customer)
        #expect(cancel.status == 200)
        #expect(cancel.object["status"] as? String == "cancelled")
        #expect(try deployment.eventTypes("order", orderId: orderId) == ["OrderPlaced", "OrderCancelled"])
        #expect(await eventually(seconds: 15) {
            let payment = try? await deployment.call("GET", "/payments/\(paymentId)", port: deployment.paymentPort)
            return payment?.object["status"] as? String == "cancelled"
        }, "\(deployment.logs)")
        #expect(await eventually(seconds: 5) { (try? deployment.eventTypes("payment", orderId: orderId)) == ["PaymentApproved", "PaymentCancelled"] })
        // A second cancel is refused and changes nothing.
        let again = try await deployment.call("POST", "/orders/\(orderId)/cancel", token: customer)
        #expect(again.status == 409)
        #expect(try deployment.eventTypes("order", orderId: orderId) == ["OrderPlaced", "OrderCancelled"])
    }

    @Test func rejectRefunds() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-reject")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let placed = try await deployment.placeOrder(customer)
        let orderId = try #require(placed.object["orderId"] as? String)
        let paymentId = try #require(placed.object["paymentId"] as? String)
        let reject = try await deployment.call("POST", "/orders/\(orderId)/reject", token: owner, body: #"{"reason":"재료 소진"}"#)
        #expect(reject.status == 200)
        #expect(try await deployment.status(of: orderId, customer) == "rejected")
        #expect(try deployment.eventTypes("store", orderId: orderId) == ["OrderRejected"])
        #expect(await eventually(seconds: 15) {
            let payment = try? await deployment.call("GET", "/payments/\(paymentId)", port: deployment.paymentPort)
            return payment?.object["status"] as? String == "cancelled"
        }, "\(deployment.logs)")
    }

    @Test func cancelAfterCookingStartedIsRefusedAndChangesNothing() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-late")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let orderId = try await deployment.placed(customer)
        for step in ["accept", "start-cooking"] {
            #expect(try await deployment.call("POST", "/orders/\(orderId)/\(step)", token: owner).status == 200)
        }
        let before = try (deployment.streamLength("order"), deployment.streamLength("store"))
        let cancel = try await deployment.call("POST", "/orders/\(orderId)/cancel", token: customer)
        #expect(cancel.status == 409)
        #expect(cancel.object["error"] as? String == "cannot_cancel_after_cooking_started")
        #expect(try await deployment.status(of: orderId, customer) == "cooking")
        #expect(try (deployment.streamLength("order"), deployment.streamLength("store")) == before)
    }

    @Test func fiftyRacingCancelAndStartCookingPairsHaveExactlyOneWinnerEach() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-race")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        var orderIds: [String] = []
        for _ in 0..<50 {
            let id = try await deployment.placed(customer)
            #expect(try await deployment.call("POST", "/orders/\(id)/accept", token: owner).status == 200)
            orderIds.append(id)
        }
        let outcomes = try await deployment.cancelRacingStartCooking(orderIds, customer: customer, owner: owner)
        var cancelled = 0
        for (id, cancel, cook) in outcomes {
            #expect([cancel, cook].sorted() == [200, 409], "order \(id): cancel \(cancel), start-cooking \(cook)")
            let status = try await deployment.status(of: id, customer)
            #expect(status == (cancel == 200 ? "cancelled" : "cooking"))
            let announced = try deployment.eventTypes("order", orderId: id).filter { $0 == "OrderCancelled" }.count
                + deployment.eventTypes("store", orderId: id).filter { $0 == "CookingStarted" }.count
            #expect(announced == 1, "order \(id) announced \(announced) outcomes")
            if cancel == 200 { cancelled += 1 }
        }
        #expect(outcomes.count == 50)
        print("race: \(cancelled) cancels won, \(50 - cancelled) start-cookings won")
    }

    @Test func declinedPaymentIs402WithNoOrderAndNoEvent() async throws {
        let deployment = try await Deployment(payment: ["BAEDAL_PAYMENT_DECLINE_ABOVE": "50000"], workers: [])
        let customer = try await deployment.customer("c-poor")
        let reply = try await deployment.placeOrder(customer, items: [("seasoned-chicken", 3)])  // 57,000 won
        #expect(reply.status == 402)
        #expect(reply.object["error"] as? String == "payment_declined")
        #expect(try deployment.streamLength("order") == 0)
        #expect(try deployment.streamLength("payment") == 0)
        #expect(try deployment.redisCommand("KEYS", "baedal:order:*").array?.isEmpty == true)
        // Below the limit the same customer can order.
        #expect(try await deployment.placeOrder(customer, items: [("seasoned-chicken", 2)]).status == 201)
    }

    @Test func gatewayStoppedMeans503FastAndNoOrder() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-down")
        await deployment.stopPayment()
        let reply = try await deployment.placeOrder(customer)
        #expect(reply.status == 503)
        #expect(reply.object["error"] as? String == "payment_unavailable")
        #expect(Int(reply.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try deployment.streamLength("order") == 0)
        #expect(try deployment.streamLength("payment-voids") == 0)  // never reached: nothing to settle
        // The gateway back: orders go through again.
        try await deployment.startPayment()
        #expect(try await deployment.placeOrder(customer).status == 201)
    }

    @Test func slowGatewayOpensTheCircuitThenItClosesAndNoChargeOutlivesIt() async throws {
        let deployment = try await Deployment(
            payment: ["BAEDAL_PAYMENT_LATENCY_MS": "1500"],
            api: ["BAEDAL_PAYMENT_TIMEOUT_MS": "200", "BAEDAL_BREAKER_FAILURES": "3", "BAEDAL_BREAKER_OPEN_MS": "2000"],
            workers: ["payment-refund"])
        let customer = try await deployment.customer("c-slow")
        for attempt in 1...3 {
            let reply = try await deployment.placeOrder(customer)
            #expect(reply.status == 503, "attempt \(attempt): \(reply.body)")
        }
        #expect(try await deployment.call("GET", "/health/ready").object["paymentCircuit"] as? String == "open")
        // Open: answered without calling the gateway (below: it holds only the three charges above).
        for _ in 1...10 {
            let reply = try await deployment.placeOrder(customer)
            #expect(reply.status == 503)
            #expect(reply.object["error"] as? String == "payment_unavailable")
            #expect(Int(reply.header("Retry-After") ?? "") ?? 0 >= 1)
        }
        // The three timed-out charges did reach the gateway (it approves them late); nothing else did,
        // and payment-refund voids each of them: no charge without an order.
        #expect(await eventually(seconds: 30) {
            let keys = (try? deployment.redisCommand("KEYS", "baedal:payment:*").array?.count) ?? 0
            let cancelled = (try? deployment.eventTypes("payment").filter { $0 == "PaymentCancelled" }.count) ?? 0
            return keys == 3 && cancelled == 3
        }, "\(deployment.logs)")
        #expect(try deployment.eventTypes("payment").filter { $0 == "PaymentApproved" }.count == 3)
        #expect(try deployment.streamLength("order") == 0)
        // The gateway is fast again: once the open time is over one probe goes through and closes
        // it. Until then an order is refused at once without calling the gateway (as above), so
        // the test places orders until one is taken rather than waiting out the open time.
        await deployment.stopPayment()
        try await deployment.startPayment()
        var reply: Deployment.Reply?
        let probed = await eventually(seconds: 10, every: 100) {
            reply = try? await deployment.placeOrder(customer)
            let refusedByTheCircuit = reply?.status == 503 && (reply?.object["message"] as? String)?.contains("circuit is open") == true
            return reply != nil && !refusedByTheCircuit
        }
        #expect(probed, "once the open time is over an order is not refused by the circuit: \(reply?.body ?? "no answer")")
        #expect(reply?.status == 201, "the probe is an order taken: \(reply?.body ?? "no answer")")
        #expect(try await deployment.call("GET", "/health/ready").object["paymentCircuit"] as? String == "closed")
    }

    @Test func theSameIdempotencyKeyGivesOneOrderAndOnePayment() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-retry")
        let first = try await deployment.placeOrder(customer, key: "k-1")
        let second = try await deployment.placeOrder(customer, key: "k-1")
        #expect(first.status == 201)
        #expect(second.status == 201)
        #expect(first.body == second.body)
        // Concurrent repeats of another key.
        let replies = try await withThrowingTaskGroup(of: Deployment.Reply.self) { group in
            for _ in 0..<8 { group.addTask { try await deployment.placeOrder(customer, key: "k-2") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.allSatisfy { $0.status == 201 })
        #expect(Set(replies.map(\.body)).count == 1)
        #expect(try deployment.streamLength("order") == 2)
        #expect(try deployment.eventTypes("payment").filter { $0 == "PaymentApproved" }.count == 2)
        // Another customer's same key is their own order.
        let other = try await deployment.placeOrder(try await deployment.customer("c-other"), key: "k-1")
        #expect(other.status == 201)
        #expect(other.object["orderId"] as? String != first.object["orderId"] as? String)
    }

    @Test func ordersTakenWhileStoreInboxIsDownAllReachTheBoard() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-night")
        let owner = try await deployment.owner(of: "s-gangnam-bunsik")
        var placed: Set<String> = []
        for _ in 0..<20 { placed.insert(try await deployment.placed(customer, items: [("gimbap", 2)], store: "s-gangnam-bunsik")) }
        let empty = try await deployment.call("GET", "/stores/s-gangnam-bunsik/orders", token: owner)
        #expect(empty.status == 200)
        #expect(empty.array.isEmpty)
        try deployment.startWorker("store-inbox")
        #expect(await eventually(seconds: 15) {
            let board = try? await deployment.call("GET", "/stores/s-gangnam-bunsik/orders", token: owner)
            return Set(board?.array.compactMap { $0["orderId"] as? String } ?? []) == placed
        }, "\(deployment.logs)")
    }

    @Test func tokensRolesAndOwnership() async throws {
        let deployment = try await Deployment(workers: [])
        let alice = try await deployment.customer("alice")
        let bob = try await deployment.customer("bob")
        let chickenOwner = try await deployment.owner(of: "s-gangnam-chicken")
        let mapoOwner = try await deployment.owner(of: "s-mapo-jjajang")
        let orderId = try await deployment.placed(alice)
        let base = deployment.base

        #expect(try await deployment.placeOrder("").status == 401)
        #expect(try await deployment.call("POST", "/orders", body: "{}").status == 401)
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: "not.a.jwt").status == 401)
        let otherSecret = try BaedalProcess("baedalctl", ["token", "--role", "customer", "--sub", "alice"],
                                            environment: base.merging(["BAEDAL_JWT_SECRET": String(repeating: "x", count: 40)]) { $1 })
        _ = await otherSecret.waitForExit()
        let forged = otherSecret.log.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: forged).status == 401)

        #expect(try await deployment.call("POST", "/orders/\(orderId)/accept", token: alice).status == 403)  // customer on an owner endpoint
        #expect(try await deployment.call("POST", "/orders/\(orderId)/accept", token: mapoOwner).status == 403)  // another store's order
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: mapoOwner).status == 403)
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: bob).status == 403)  // another's order
        #expect(try await deployment.call("POST", "/orders/\(orderId)/cancel", token: bob).status == 403)
        #expect(try await deployment.call("GET", "/stores/s-gangnam-chicken/orders", token: mapoOwner).status == 403)
        #expect(try await deployment.call("PUT", "/stores/s-gangnam-chicken/menu", token: mapoOwner, body: #"{"items":[]}"#).status == 403)
        #expect(try await deployment.placeOrder(chickenOwner).status == 403)
        #expect(try await deployment.status(of: orderId, alice) == "placed")
        #expect(try await deployment.call("GET", "/orders/\(orderId)", token: chickenOwner).status == 200)
        // Public without a token.
        #expect(try await deployment.call("GET", "/stores").array.count == 3)
        #expect(try await deployment.call("GET", "/stores/s-mapo-jjajang/menu").object["items"] is [Any])
    }

    @Test func badInputGetsTheContractsErrorAndWritesNothing() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-bad")
        let cases: [(String, String, Int, String)] = [
            ("malformed JSON", #"{"storeId":"s-gangnam-chicken","#, 400, "bad_request"),
            ("not an object", #"[1,2]"#, 400, "bad_request"),
            ("qty as text", #"{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":"2"}],"region":"gangnam","address":"a"}"#, 400, "bad_request"),
            ("qty with a fraction", #"{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":1.5}],"region":"gangnam","address":"a"}"#, 400, "bad_request"),
            ("items not a list", #"{"storeId":"s-gangnam-chicken","items":{"foodId":"cola"},"region":"gangnam","address":"a"}"#, 400, "bad_request"),
            ("no address", #"{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":1}],"region":"gangnam"}"#, 400, "bad_request"),
            ("no items", #"{"storeId":"s-gangnam-chicken","items":[],"region":"gangnam","address":"a"}"#, 400, "bad_request"),
            ("unknown store", #"{"storeId":"s-nowhere","items":[{"foodId":"cola","qty":1}],"region":"gangnam","address":"a"}"#, 404, "unknown_store"),
            ("unknown food", #"{"storeId":"s-gangnam-chicken","items":[{"foodId":"pizza","qty":1}],"region":"gangnam","address":"a"}"#, 422, "unknown_food"),
            ("qty 0", #"{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":0}],"region":"gangnam","address":"a"}"#, 422, "invalid_quantity"),
            ("qty 100", #"{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":100}],"region":"gangnam","address":"a"}"#, 422, "invalid_quantity"),
            ("oversized", #"{"storeId":"s-gangnam-chicken","address":""# + String(repeating: "가", count: 30_000) + #""}"#, 413, "body_too_large"),
        ]
        for (name, body, status, code) in cases {
            let reply = try await deployment.call("POST", "/orders", token: customer, body: body)
            #expect(reply.status == status, "\(name): \(reply.status) \(reply.body)")
            #expect(reply.object["error"] as? String == code, "\(name): \(reply.body)")
            #expect((reply.object["message"] as? String)?.isEmpty == false, "\(name)")
        }
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let badMenu = try await deployment.call("PUT", "/stores/s-gangnam-chicken/menu", token: owner,
                                                body: #"{"items":[{"foodId":"x","name":"X","price":0}]}"#)
        #expect(badMenu.status == 400)
        #expect(try await deployment.call("POST", "/orders/o-unknown/accept", token: owner).status == 404)
        #expect(try await deployment.call("GET", "/orders/o-unknown", token: customer).status == 404)
        #expect(try deployment.streamLength("order") == 0)
        #expect(try deployment.streamLength("payment") == 0)
        #expect(try deployment.redisCommand("KEYS", "baedal:payment:*").array?.isEmpty == true)
        #expect(try await deployment.call("GET", "/stores/s-gangnam-chicken/menu").object["items"].map { ($0 as? [Any])?.count } == 3)
    }

    @Test func aRefundTheGatewayKeepsRefusingGoesToTheDeadLetters() async throws {
        let deployment = try await Deployment(workers: [])
        try deployment.startWorker("payment-refund", ["BAEDAL_MAX_DELIVERIES": "2", "BAEDAL_CLAIM_IDLE_MS": "300"])
        let customer = try await deployment.customer("c-stuck")
        let placed = try await deployment.placeOrder(customer)
        let orderId = try #require(placed.object["orderId"] as? String)
        let paymentId = try #require(placed.object["paymentId"] as? String)
        await deployment.stopPayment()
        #expect(try await deployment.call("POST", "/orders/\(orderId)/cancel", token: customer).status == 200)
        let buried = await eventually(seconds: 20) {
            let dead = (try? deployment.redisCommand("XRANGE", "baedal:dead", "-", "+").array) ?? []
            return dead.contains { entry in
                let fields = entry.array?.last?.array?.compactMap(\.string) ?? []
                return fields.contains("payment-refund") && fields.contains(orderId) && fields.contains("OrderCancelled")
            }
        }
        #expect(buried, "\(deployment.logs)")
        // Nothing refunded it behind the operator's back: the payment is still approved.
        try await deployment.startPayment()
        let payment = try await deployment.call("GET", "/payments/\(paymentId)", port: deployment.paymentPort)
        #expect(payment.object["status"] as? String == "approved")
    }

    /// A charge that timed out is voided; retrying with the same key must not turn the cancelled
    /// payment into an order (an unpaid order must never exist).
    @Test func aRetryAfterAVoidedChargeIsRefusedAndCreatesNoUnpaidOrder() async throws {
        let deployment = try await Deployment(payment: ["BAEDAL_PAYMENT_LATENCY_MS": "800"], api: ["BAEDAL_PAYMENT_TIMEOUT_MS": "200"],
                                              workers: ["payment-refund"])
        let customer = try await deployment.customer("c-voided")
        let first = try await deployment.placeOrder(customer, key: "k-void")
        #expect(first.status == 503)
        #expect(await eventually(seconds: 30) {
            (try? deployment.eventTypes("payment").filter { $0 == "PaymentCancelled" }.count) == 1
        }, "\(deployment.logs)")
        await deployment.stopPayment()
        try await deployment.startPayment()  // fast again
        let retry = try await deployment.placeOrder(customer, key: "k-void")
        #expect(retry.status == 409, "\(retry.body)")
        #expect(retry.object["error"] as? String == "payment_voided")
        #expect(try deployment.streamLength("order") == 0)
        #expect(try await deployment.placeOrder(customer, key: "k-new").status == 201)
    }

    /// The gateway approved, then the order could not be written (the API's Redis went away
    /// meanwhile): the payment is cancelled at once. The gateway keeps its records in a Redis of
    /// its own here, as a real PG would, so only the order side fails.
    @Test func anApprovedChargeWhoseOrderCannotBeWrittenIsCancelledAtOnce() async throws {
        let deployment = try await Deployment(workers: [])
        let gatewayRedis = try RedisServer()
        await deployment.stopPayment()
        try await deployment.startPayment(["BAEDAL_REDIS_URL": gatewayRedis.url, "BAEDAL_PAYMENT_LATENCY_MS": "1500"])
        let customer = try await deployment.customer("c-lost")
        async let reply = deployment.placeOrder(customer)
        // The charge is under way: the gateway holds it (for 1.5 s), so the API is past its own
        // reads and will next write the order.
        #expect(await eventually(seconds: 10) { (try? await gatewayRequestsInFlight(deployment)) == 1 },
                "the charge reached the gateway\n\(deployment.logs)")
        deployment.redis.stop()
        let answer = try await reply
        #expect(answer.status == 503, "\(answer.body)")
        let gatewayEvents = try gatewayRedis.connect().send(RedisCommand("XRANGE", "baedal:events:payment", "-", "+")).array ?? []
        let types = gatewayEvents.compactMap { $0.array?.last?.array?[1].string }
        #expect(types == ["PaymentApproved", "PaymentCancelled"], "\(deployment.logs)")
        try deployment.redis.start()
        #expect(try deployment.streamLength("order") == 0)
    }

    /// Requests the payment gateway is handling right now (its `http_server_active_requests`,
    /// less the scrape that asks).
    func gatewayRequestsInFlight(_ deployment: Deployment) async throws -> Int? {
        let metrics = try await deployment.call("GET", "/metrics", port: deployment.paymentPort)
        let line = metrics.body.split(separator: "\n").first { $0.hasPrefix("http_server_active_requests") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) - 1 }
    }
}
