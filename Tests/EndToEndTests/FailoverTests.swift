import Foundation
import Redis
import Synchronization
import Testing
import TestSupport

/// Issue 11: orders 24/7 when Redis itself fails. A primary, two replicas and three Sentinels of
/// the test's own on loopback; every process on `redis-sentinel://`; the primary SIGKILLed.
@Suite("Redis failover with Sentinel", .serialized)
struct FailoverTests {
    /// What one client of the load saw of one order it placed.
    struct Placed: Sendable {
        var client: Int
        var key: String
        var orderId: String
        var paymentId: String
    }

    /// Places orders with keys from several clients until `stop()`, each retrying a 503 with the
    /// same key (as the contract tells clients to); records every 201 and when writes were refused.
    final class Load: Sendable {
        let placed = Mutex<[Placed]>([])
        let refusals = Mutex<[(Date, Int)]>([])
        let successes = Mutex<[Date]>([])
        private let stopped = Mutex(false)

        var isStopped: Bool { stopped.withLock { $0 } || Task.isCancelled }
        func stop() { stopped.withLock { $0 = true } }
        /// Orders taken (answered 201) after `date`.
        func taken(after date: Date) -> Int { successes.withLock { $0.filter { $0 > date }.count } }
    }

    func run(_ load: Load, _ deployment: Deployment, clients: Int, owner: String) async {
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    guard let token = try? await deployment.customer("c-load-\(client)") else { return }
                    var index = 0
                    while !load.isStopped {
                        let key = "k-\(client)-\(index)"
                        index += 1
                        // A 503 (or a broken connection) is retried with the same key until it is
                        // answered; the client waits a little between tries, as a real one would
                        // (this paces the load, it waits for nothing).
                        for _ in 0..<200 where !Task.isCancelled {
                            let reply = try? await deployment.placeOrder(token, key: key)
                            if let reply, reply.status == 201, let orderId = reply.object["orderId"] as? String,
                               let paymentId = reply.object["paymentId"] as? String {
                                load.placed.withLock { $0.append(Placed(client: client, key: key, orderId: orderId, paymentId: paymentId)) }
                                load.successes.withLock { $0.append(Date()) }
                                if index % 3 == 0 { _ = try? await deployment.call("POST", "/orders/\(orderId)/accept", token: owner) }
                                break
                            }
                            load.refusals.withLock { $0.append((Date(), reply?.status ?? 0)) }
                            try? await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
            }
        }
    }

    @Test func ordersKeepFlowingThroughAFailoverAndNothingAcknowledgedIsLost() async throws {
        let ha = try RedisHighAvailability()
        let deployment = try await Deployment(ha: ha)
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let processes = ([deployment.api, deployment.payment].compactMap { $0 } + deployment.workers.values.flatMap { $0 })
        let load = Load()
        async let loading: Void = run(load, deployment, clients: 4, owner: owner)
        // The primary is killed under load: once orders are being taken.
        let flowing = await eventually(seconds: 30) { load.taken(after: .distantPast) >= 20 }
        #expect(flowing, "20 orders taken before the kill\n\(deployment.logs)")
        let killedAt = Date()
        let old = try ha.killPrimary()
        let promoted = ha.waitForNewPrimary(other: old)
        #expect(promoted != nil, "no failover: \(ha.sentinels.first?.log.suffix(2000) ?? "")")
        // The load goes on until orders are taken again through the new primary.
        let promotedAt = Date()
        let resumed = await eventually(seconds: 30) { load.taken(after: promotedAt) >= 20 }
        #expect(resumed, "20 orders taken after the new primary was named\n\(deployment.logs)")
        load.stop()
        await loading

        // Writes refused: the longest stretch without a 201 from the kill on (a 201 just after the
        // kill may be the answer to a write made just before it).
        let successes = load.successes.withLock { $0 }.sorted()
        let after = successes.first { $0 > killedAt }
        let refused = zip(successes, successes.dropFirst()).filter { $0.1 > killedAt }.map { $0.1.timeIntervalSince($0.0) }.max() ?? 0
        let placed = load.placed.withLock { $0 }
        print("failover: writes refused for \(Int(refused * 1000)) ms; \(placed.count) orders placed, \(load.refusals.withLock { $0.count }) answers retried")
        #expect(after != nil, "no order was taken after the failover: \(deployment.logs)")
        #expect(placed.count > 20)

        // Every 201 is an order with its OrderPlaced and exactly one payment.
        let connection = try deployment.primary()
        for order in placed {
            #expect(try connection.send(RedisCommand("HGET", "baedal:order:\(order.orderId)", "paymentId")).string == order.paymentId, "\(order.orderId) lost")
            #expect(try connection.send(RedisCommand("HGET", "baedal:payments:by-order", order.orderId)).string == order.paymentId)
        }
        #expect(Set(placed.map(\.orderId)).count == placed.count, "one order per key")
        let placedEvents = Set(try deployment.eventTypesWithOrders("order").filter { $0.type == "OrderPlaced" }.map(\.orderId))
        #expect(Set(placed.map(\.orderId)).isSubset(of: placedEvents))
        let approvals = try deployment.eventTypesWithOrders("payment").filter { $0.type == "PaymentApproved" }.map(\.orderId)
        let approvedPlaced = approvals.filter { id in placed.contains { $0.orderId == id } }
        #expect(approvedPlaced.count == placed.count, "one payment each")

        // The workers followed the new primary: inboxes, boards and dashboards catch up exactly.
        // (The whole inbox from Redis: the API shows a customer only the newest 500, and a fast
        // run places more than that per client.)
        for client in 0..<4 {
            let mine = placed.filter { $0.client == client }
            var missing: [String] = []
            #expect(await eventually(seconds: 30) {
                let members = (try? connection.send(RedisCommand("ZRANGE", "baedal:customer:c-load-\(client):notifications", "0", "-1")))?.strings ?? []
                var placedNotices: [String: Int] = [:]
                for member in members {
                    guard let message = (try? JSONSerialization.jsonObject(with: Data(member.utf8))) as? [String: Any],
                          message["status"] as? String == "placed", let orderId = message["orderId"] as? String else { continue }
                    placedNotices[orderId, default: 0] += 1
                }
                missing = mine.map(\.orderId).filter { placedNotices[$0] != 1 }
                return missing.isEmpty
            }, "client \(client)'s inbox: \(missing.count) of \(mine.count) orders without exactly one 'placed' notice, e.g. \(missing.prefix(3))\n\(deployment.logs)")
        }
        #expect(await eventually(seconds: 30) {
            let rebuild = try? BaedalProcess("baedalctl", ["rebuild", "dashboards"], environment: deployment.base)
            return await rebuild?.waitForExit() == 0
        }, "the dashboards equal a rebuild from the streams")
        for process in processes { #expect(process.isRunning, "\(process.name) restarted or died") }
    }

    @Test func anOrderIsNotConfirmedUntilAReplicaHasItAndItsRetryIsTheSameOrderChargedOnce() async throws {
        let ha = try RedisHighAvailability()
        let deployment = try await Deployment(workers: ["payment-refund"], ha: ha)
        let customer = try await deployment.customer("c-durable")
        let warmUp = try await deployment.placeOrder(customer, key: "warm-up")
        #expect(warmUp.status == 201, "\(warmUp.body) \(deployment.logs)")
        // Both replicas stop answering: nothing can be confirmed.
        let replicas = ha.servers.filter { $0.port != ha.primaryPort }
        for replica in replicas { replica.pause() }
        let refused = try await deployment.placeOrder(customer, key: "k-durable")
        #expect(refused.status == 503, "\(refused.body)")
        #expect(refused.header("Retry-After") != nil)
        for replica in replicas { replica.resume() }
        var placed: Deployment.Reply?
        #expect(await eventually(seconds: 10) {
            placed = try? await deployment.placeOrder(customer, key: "k-durable")
            return placed?.status == 201
        }, "\(deployment.logs)")
        let orderId = try #require(placed?.object["orderId"] as? String)
        let again = try await deployment.placeOrder(customer, key: "k-durable")
        #expect(again.object["orderId"] as? String == orderId)
        // One payment for the key, still approved once payment-refund had its look: the refused
        // attempt asked it to settle the charge, which it does 10 s later (finding the order, it
        // leaves the charge); looked at once it has acknowledged that request.
        let payments = try deployment.eventTypesWithOrders("payment").filter { $0.orderId == orderId }
        #expect(payments.map(\.type) == ["PaymentApproved"])
        #expect(try deployment.eventTypes("payment-voids", orderId: orderId) == ["PaymentVoidRequested"],
                "the refused attempt asked payment-refund to settle its charge")
        let settled = await eventually(seconds: 30, every: 200) {
            (try? deployment.primary().groupHasHandledEverything("payment-refund", of: "baedal:events:payment-voids")) == true
        }
        #expect(settled, "payment-refund has settled the void request\n\(deployment.logs)")
        let payment = try await deployment.call("GET", "/payments/\(placed?.object["paymentId"] as? String ?? "")", port: deployment.paymentPort)
        #expect(payment.object["status"] as? String == "approved", "the order stands, so its charge is not voided")
    }

    @Test func aWorkerBlockedInReadFollowsTheNewPrimaryAndItsScriptsAreReloaded() async throws {
        let ha = try RedisHighAvailability()
        let deployment = try await Deployment(workers: ["projector"], ha: ha)
        func placed(_ orderId: String, qty: Int) throws {
            _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", orderId, "at", "1",
                                            "data", #"{"customerId":"c-1","storeId":"s-1","items":[{"foodId":"kimchi","qty":\#(qty)}]}"#)
        }
        try placed("o-before", qty: 2)
        #expect(await eventually(seconds: 10) { (try? deployment.redisCommand("HGET", "baedal:dashboard:food-orders", "kimchi").int) == 2 })
        // The replicas have it all, and the worker sits in XREADGROUP … BLOCK on the primary.
        #expect(try deployment.redisCommand("WAIT", "2", "2000").int == 2, "both replicas have every write")
        #expect(await eventually(seconds: 10) {
            let clients = (try? deployment.redisCommand("CLIENT", "LIST").string) ?? ""
            return clients.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ")
                return fields.contains("cmd=xreadgroup") && fields.contains { $0.hasPrefix("flags=") && $0.contains("b") }
            }
        }, "the worker is blocked in XREADGROUP on the primary")
        let old = try ha.killPrimary()
        let promoted = try #require(ha.waitForNewPrimary(other: old))
        try placed("o-after", qty: 3)
        #expect(await eventually(seconds: 30) { (try? deployment.redisCommand("HGET", "baedal:dashboard:food-orders", "kimchi").int) == 5 },
                "\(deployment.logs)")
        // The new primary had never seen the apply script (scripts are not replicated): the first
        // apply after the failover got NOSCRIPT and loaded it.
        let errors = try #require(ha.server(port: promoted)).connect().send(RedisCommand("INFO", "errorstats")).string ?? ""
        #expect(errors.contains("errorstat_NOSCRIPT"), "\(errors)")
        #expect(try deployment.redisCommand("XLEN", "baedal:dead").int == 0)
        #expect(deployment.workers["projector"]?.first?.isRunning == true)
        #expect(deployment.workers["projector"]?.first?.log.contains("the primary moved") == true, "the failover is logged")
        // The operator sees the new topology: the promoted primary, named by every Sentinel.
        let status = try BaedalProcess("baedalctl", ["status"], environment: deployment.base)
        #expect(await status.waitForExit() == 0)
        #expect(status.log.contains("redis primary 127.0.0.1:\(promoted) (named by 3 of 3 Sentinels)"), "\(status.log)")
        #expect(status.log.contains("sentinel 127.0.0.1:\(ha.sentinels[0].port)"))
    }
}
