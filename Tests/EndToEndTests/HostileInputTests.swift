import Crypto
import Foundation
import Redis
import Testing
import TestSupport

/// Issue 9: what an attacker tried against the real processes, each now refused at the depth of
/// its class. Every test here failed on commit 1436538.
@Suite("Hostile input: tokens, prices, ids, streams, the HTTP edge", .serialized)
struct HostileInputTests {
    // MARK: 1, 17 — tokens

    @Test func tokensWithImpossibleDatesOrTheWrongAlgorithmAreRefusedAndTheAPIStaysUp() async throws {
        let deployment = try await Deployment(workers: [])
        let future = Int(Date().timeIntervalSince1970) + 3600
        let refused: [(String, String)] = [
            ("exp 1e300", HandSigned.token(payload: #"{"sub":"c1","role":"customer","exp":1e300}"#)),
            ("exp beyond Int.max", HandSigned.token(payload: #"{"sub":"c1","role":"customer","exp":9223372036854775807000}"#)),
            ("exp a string", HandSigned.token(payload: #"{"sub":"c1","role":"customer","exp":"tomorrow"}"#)),
            ("alg RS256 over an HS256 signature", HandSigned.token(header: #"{"alg":"RS256","typ":"JWT"}"#,
                                                                   payload: #"{"sub":"c1","role":"customer","exp":\#(future)}"#)),
            ("alg none", HandSigned.token(header: #"{"alg":"none"}"#, payload: #"{"sub":"c1","role":"customer","exp":\#(future)}"#)),
            ("nbf an hour ahead", HandSigned.token(payload: #"{"sub":"c1","role":"customer","exp":\#(future),"nbf":\#(future)}"#)),
            ("sub with a newline", HandSigned.token(payload: #"{"sub":"c1\n2026 critical forged","role":"customer","exp":\#(future)}"#)),
            ("sub with the key separator", HandSigned.token(payload: #"{"sub":"c1:k","role":"customer","exp":\#(future)}"#)),
        ]
        for (what, token) in refused {
            let reply = try await deployment.call("GET", "/customers/me/orders", token: token)
            #expect(reply.status == 401, "\(what): \(reply.status) \(reply.body)")
            #expect(reply.object["error"] as? String == "unauthorized", "\(what)")
        }
        #expect(deployment.api?.isRunning == true, "\(deployment.logs)")
        let good = HandSigned.token(payload: #"{"sub":"c1","role":"customer","exp":\#(future),"nbf":\#(future - 7200)}"#)
        #expect(try await deployment.call("GET", "/customers/me/orders", token: good).status == 200)
        // baedalctl no longer mints what the API cannot read.
        let mint = try BaedalProcess("baedalctl", ["token", "--role", "customer", "--sub", "c1", "--ttl", "9223372036854775000"],
                                     environment: deployment.base)
        #expect(await mint.waitForExit() == 64)
        #expect(mint.log.contains("--ttl"))
    }

    // MARK: 2 — prices and amounts

    @Test func anOwnersPriceCannotTakeTheAPIDownForEveryone() async throws {
        let deployment = try await Deployment(workers: [])
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        for price in ["9223372036854775807", "1000001", "0", "-5", "1.5", "1e6"] {
            let reply = try await deployment.call("PUT", "/stores/s-gangnam-chicken/menu", token: owner,
                                                  body: #"{"items":[{"foodId":"gold","name":"금","price":\#(price)}]}"#)
            #expect(reply.status == 400, "price \(price): \(reply.status) \(reply.body)")
        }
        let menu = try await deployment.call("PUT", "/stores/s-gangnam-chicken/menu", token: owner,
                                             body: #"{"items":[{"foodId":"hanwoo","name":"한우 코스","price":1000000}]}"#)
        #expect(menu.status == 200, "\(menu.body)")
        let customer = try await deployment.customer("c-rich")
        let placed = try await deployment.placeOrder(customer, items: [("hanwoo", 99)])
        #expect(placed.status == 201, "\(placed.body)")
        #expect(placed.object["amount"] as? Int == 99_000_000)
        #expect(deployment.api?.isRunning == true, "\(deployment.logs)")
        // The gateway bounds what it charges to what every JSON client holds exactly.
        let charge = try await deployment.call("POST", "/payments", body: #"{"orderId":"o-x","customerId":"c1","amount":9007199254740993}"#,
                                               headers: [("Idempotency-Key", "k-big")], port: deployment.paymentPort)
        #expect(charge.status == 422, "\(charge.body)")
    }

    // MARK: 3, 4 — streams are a public interface

    @Test func overflowingCountsOnAStreamAreDeadLetteredNotACrashLoop() async throws {
        let deployment = try await Deployment(workers: ["projector"])
        let projector = try #require(deployment.workers["projector"]?.first)
        for _ in 0..<2 {
            _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-huge", "at", "1",
                                            "data", #"{"customerId":"c1","storeId":"s1","items":[{"foodId":"gold","qty":9223372036854775807}]}"#)
        }
        _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-fine", "at", "1",
                                        "data", #"{"customerId":"c1","storeId":"s1","items":[{"foodId":"gold","qty":2}]}"#)
        #expect(await eventually(seconds: 15) { (try? deployment.redisCommand("HGET", "baedal:dashboard:food-orders", "gold").int) == 2 },
                "\(deployment.logs)")
        let dead = try deadLetters(deployment)
        #expect(dead.count == 2)
        #expect(dead.allSatisfy { $0["deliveries"] == "1" && $0["reason"]?.contains("qty must be 1…99") == true }, "\(dead)")
        #expect(projector.isRunning, "\(projector.log)")
    }

    @Test func deeplyNestedDataIsDeadLetteredByEveryPolicyThatReadsIt() async throws {
        let deployment = try await Deployment()
        // Inside a member every policy skips or reads: the reader recurses into it.
        let deep = #"{"orderId":"o-deep","x":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-deep", "at", "1", "data", deep)
        _ = try deployment.redisCommand("XADD", "baedal:events:store", "*", "type", "CookingFinished", "orderId", "o-deep", "at", "1", "data", deep)
        // store-inbox, notification and projector read OrderPlaced's data; delivery-dispatch, notification and projector CookingFinished's.
        #expect(await eventually(seconds: 20) { (try? deadLetters(deployment).count) == 6 }, "\(deployment.logs)")
        let groups = try deadLetters(deployment).map { "\($0["group"] ?? "?")@\($0["stream"] ?? "?")" }.sorted()
        #expect(groups == ["delivery-dispatch@baedal:events:store", "notification@baedal:events:order", "notification@baedal:events:store",
                           "projector@baedal:events:order", "projector@baedal:events:store", "store-inbox@baedal:events:order"])
        #expect(try deadLetters(deployment).allSatisfy { $0["reason"]?.contains("nested deeper than 64") == true })
        for (policy, processes) in deployment.workers {
            let alive = processes.allSatisfy { $0.isRunning }
            #expect(alive, "\(policy) died")
        }
    }

    // MARK: 5 — ids, through every route and key kind

    static let hostileIds = [
        "s9:board", "s9:cooking", "s*", "a?b", "[x]", "a\\b", "a b", "a\nb", "a\u{0}b", "%41", "100%", "a/b", "../s9",
        "baedal:store:s9", "events:order", "😀", String(repeating: "x", count: 10_000),
    ]

    @Test func hostileIdsReachNothingOfAnotherStoreOrCustomer() async throws {
        let deployment = try await Deployment()
        let victimOwner = try await deployment.owner(of: "s-gangnam-chicken")
        let victim = try await deployment.customer("c-victim")
        let orderId = try await deployment.placed(victim)
        _ = try await deployment.call("POST", "/orders/\(orderId)/accept", token: victimOwner)
        #expect(await eventually(seconds: 10) {
            (try? deployment.redisCommand("ZCARD", "baedal:store:s-gangnam-chicken:board").int) == 1
                && (try? deployment.redisCommand("ZCARD", "baedal:customer:c-victim:notifications").int) == 2
                && (try? deployment.redisCommand("LLEN", "baedal:customer:c-victim:orders").int) == 1
        })
        // Every policy done with the placement and the accept (the projector's stage timings were
        // once written after the snapshot and counted as the victim's keys changing).
        let groups = [("baedal:events:order", ["store-inbox", "payment-refund", "delivery-dispatch", "notification", "projector"]),
                      ("baedal:events:store", ["payment-refund", "delivery-dispatch", "notification", "projector"])]
        let connection = try deployment.primary()
        #expect(await eventually(seconds: 10) {
            groups.allSatisfy { stream, names in names.allSatisfy { (try? connection.groupHasHandledEverything($0, of: stream)) == true } }
        })
        let before = try snapshot(deployment)
        let rider = try await deployment.rider("r-hostile")
        let customer = try await deployment.customer("c-hostile")
        let owner = try await deployment.owner(of: "s-hostile")

        for id in Self.hostileIds {
            let path = Self.percentEncoded(id)
            let json = Self.jsonString(id)
            var replies: [(String, Deployment.Reply)] = []
            func record(_ what: String, _ reply: Deployment.Reply) { replies.append((what, reply)) }
            // As a store id: in paths, and in a token's store claim.
            record("GET menu", try await deployment.call("GET", "/stores/\(path)/menu"))
            record("PUT store", try await deployment.call("PUT", "/stores/\(path)", token: owner, body: #"{"name":"n","region":"gangnam"}"#))
            record("PUT menu", try await deployment.call("PUT", "/stores/\(path)/menu", token: owner, body: #"{"items":[]}"#))
            record("GET board", try await deployment.call("GET", "/stores/\(path)/orders", token: owner))
            record("owner token", try await deployment.call("PUT", "/stores/s-gangnam-chicken", token: HandSigned.owner(store: id),
                                                            body: #"{"name":"taken","region":"gangnam"}"#))
            // As an order id.
            for (method, route, token) in [("GET", "/orders/\(path)", customer), ("POST", "/orders/\(path)/cancel", customer),
                                           ("POST", "/orders/\(path)/accept", owner), ("POST", "/deliveries/\(path)/pick", rider)] {
                record("\(method) \(route.prefix(20))", try await deployment.call(method, route, token: token))
            }
            // As a customer's and a rider's sub.
            record("customer sub", try await deployment.placeOrder(HandSigned.customer(id)))
            record("rider sub", try await deployment.call("POST", "/deliveries/\(orderId)/pick", token: HandSigned.rider(id)))
            // As a region, a food and a store in bodies.
            record("store region", try await deployment.call("PUT", "/stores/s-hostile", token: owner, body: #"{"name":"n","region":\#(json)}"#))
            record("menu food", try await deployment.call("PUT", "/stores/s-hostile/menu", token: owner,
                                                          body: #"{"items":[{"foodId":\#(json),"name":"n","price":1000}]}"#))
            record("order region", try await deployment.call("POST", "/orders", token: customer,
                                                             body: #"{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":1}],"region":\#(json),"address":"a"}"#))
            record("order store", try await deployment.call("POST", "/orders", token: customer,
                                                            body: #"{"storeId":\#(json),"items":[{"foodId":"cola","qty":1}],"region":"gangnam","address":"a"}"#))
            record("deliveries region", try await deployment.call("GET", "/deliveries?region=\(Self.percentEncoded(id))", token: rider))
            for (what, reply) in replies {
                #expect((400..<500).contains(reply.status), "\(id.prefix(12).debugDescription) \(what): \(reply.status) \(reply.body.prefix(200))")
            }
            // As event data on the streams, where policies build keys from it.
            for (stream, type, data) in [
                ("order", "OrderPlaced", #"{"customerId":\#(json),"storeId":\#(json),"items":[{"foodId":"x","qty":1}]}"#),
                ("store", "CookingFinished", #"{"customerId":"c-bystander","storeId":"s-gangnam-chicken","region":\#(json)}"#),
                ("store", "CookingStarted", #"{"customerId":"c-bystander","storeId":\#(json)}"#),
            ] {
                _ = try deployment.redisCommand("XADD", "baedal:events:\(stream)", "*", "type", type, "orderId", "o-hostile", "at", "1", "data", data)
            }
            _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", id, "at", "1",
                                            "data", #"{"customerId":"c-x","storeId":"s-x","items":[{"foodId":"x","qty":1}]}"#)
        }
        // Every policy has dealt with every entry: nothing pending, nothing lagging.
        #expect(await eventually(seconds: 30) {
            let groups = (try? deployment.redisCommand("XINFO", "GROUPS", "baedal:events:order").array) ?? []
            return groups.allSatisfy { group in
                let fields = group.array ?? []
                let pending = fields.firstIndex(of: .bulk(Array("pending".utf8))).map { fields[$0 + 1].int } ?? nil
                let lag = fields.firstIndex(of: .bulk(Array("lag".utf8))).map { fields[$0 + 1].int } ?? nil
                return pending == 0 && lag == 0
            }
        }, "\(deployment.logs)")
        let after = try snapshot(deployment)
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
        #expect(changed.isEmpty, "the victim's keys changed: \(changed.map { "\($0): \(before[$0] ?? "-") → \(after[$0] ?? "-")" })")
        // Nothing was written under a key that an id escaped into (`:` inside a part).
        let keys = (try deployment.redisCommand("KEYS", "baedal:*").array ?? []).compactMap(\.string)
        let stray = keys.filter { key in key.contains("%") || Self.hostileIds.contains { id in id.contains(":") && id != "events:order" && key.hasSuffix(":" + id) } }
        #expect(stray.isEmpty, "\(stray)")
        for (policy, processes) in deployment.workers {
            let alive = processes.allSatisfy { $0.isRunning }
            #expect(alive, "\(policy) died")
        }
        // Unicode ids are ids.
        let korean = try await deployment.token("owner", "점주", store: "가게")
        let saved = try await deployment.call("PUT", "/stores/%EA%B0%80%EA%B2%8C", token: korean, body: #"{"name":"가게","region":"강남"}"#)
        #expect(saved.status == 200, "\(saved.body)")
    }

    /// Every key of the victim store and customer, with its contents.
    private func snapshot(_ deployment: Deployment) throws -> [String: String] {
        var result: [String: String] = [:]
        for pattern in ["baedal:store:s-gangnam-chicken*", "baedal:customer:c-victim*", "baedal:order:*", "baedal:stores"] {
            for key in (try deployment.redisCommand("KEYS", pattern).array ?? []).compactMap(\.string) {
                let type = try deployment.redisCommand("TYPE", key).string ?? "?"
                let contents: RESPValue = switch type {
                case "hash": try deployment.redisCommand("HGETALL", key)
                case "zset": try deployment.redisCommand("ZRANGE", key, "0", "-1", "WITHSCORES")
                case "list": try deployment.redisCommand("LRANGE", key, "0", "-1")
                case "set": try deployment.redisCommand("SMEMBERS", key)
                default: .null
                }
                var values = (contents.array ?? []).compactMap(\.string)
                if type == "hash" || type == "set" { values.sort() }
                result[key] = "\(type) \(values)"
            }
        }
        return result
    }

    static func percentEncoded(_ id: String) -> String {
        id.utf8.map { byte -> String in
            let c = Character(Unicode.Scalar(byte))
            return (byte < 0x80 && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".")) ? String(c) : String(format: "%%%02X", byte)
        }.joined()
    }

    static func jsonString(_ text: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]), encoding: .utf8)!.dropFirst().dropLast().description
    }

    // MARK: 6 — a failed write is not a success

    @Test func aStoreWhoseWriteFailsIsNotReportedSaved() async throws {
        let deployment = try await Deployment(workers: [])
        let owner = try await deployment.owner(of: "s-new")
        // The index of stores is broken (someone SET it by hand): nothing may be half saved.
        _ = try deployment.redisCommand("RENAME", "baedal:stores", "baedal:stores-backup")
        _ = try deployment.redisCommand("SET", "baedal:stores", "oops")
        let reply = try await deployment.call("PUT", "/stores/s-new", token: owner, body: #"{"name":"새 가게","region":"gangnam"}"#)
        #expect(reply.status == 500, "\(reply.body)")
        #expect(try deployment.redisCommand("EXISTS", "baedal:store:s-new").int == 0, "half saved")
        // And the store's own key broken: the index must not name a store without a record.
        _ = try deployment.redisCommand("DEL", "baedal:stores")
        _ = try deployment.redisCommand("RENAME", "baedal:stores-backup", "baedal:stores")
        _ = try deployment.redisCommand("SET", "baedal:store:s-new", "oops")
        let again = try await deployment.call("PUT", "/stores/s-new", token: owner, body: #"{"name":"새 가게","region":"gangnam"}"#)
        #expect(again.status == 500, "\(again.body)")
        #expect(try deployment.redisCommand("SISMEMBER", "baedal:stores", "s-new").int == 0)
    }

    // MARK: 7 — idempotency keys are each customer's own

    @Test func idempotencyKeysAreEachCustomersOwn() async throws {
        let deployment = try await Deployment(workers: [])
        let first = try await deployment.placeOrder(try await deployment.customer("c1"), key: "k:z")
        #expect(first.status == 201)
        // The collision of issue 9 (c1 + "k:z" against c1:k + "z") cannot be asked: c1:k is no id.
        let collide = try await deployment.placeOrder(HandSigned.customer("c1:k"), key: "z")
        #expect(collide.status == 401)
        #expect(!collide.body.contains(first.object["orderId"] as? String ?? "-"))
        // Two customers with one key: two orders, two payments.
        let a = try await deployment.placeOrder(try await deployment.customer("c2"), key: "same")
        let b = try await deployment.placeOrder(try await deployment.customer("c3"), key: "same")
        #expect(a.status == 201 && b.status == 201)
        #expect(a.object["orderId"] as? String != b.object["orderId"] as? String)
        #expect(a.object["paymentId"] as? String != b.object["paymentId"] as? String)
        // A repeat is still the first order.
        let repeated = try await deployment.placeOrder(try await deployment.customer("c2"), key: "same")
        #expect(repeated.object["orderId"] as? String == a.object["orderId"] as? String)
    }

    // MARK: 8 — the gateway's own cancels

    @Test func aPaymentCancelledAtTheGatewayCancelsItsOrderOrFlagsItForAnOperator() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-chargeback")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let rider = try await deployment.rider("r-cb")
        // Cooking: too late for the customer to cancel, not too late for the gateway.
        let cooking = try await deployment.placeOrder(customer)
        let cookingId = try #require(cooking.object["orderId"] as? String)
        for step in ["accept", "start-cooking"] { _ = try await deployment.call("POST", "/orders/\(cookingId)/\(step)", token: owner) }
        let cancel = try await deployment.call("POST", "/payments/\(cooking.object["paymentId"] as? String ?? "")/cancel", body: "{}",
                                               port: deployment.paymentPort)
        #expect(cancel.status == 200)
        #expect(await eventually(seconds: 15) { (try? await deployment.status(of: cookingId, customer)) == "cancelled" }, "\(deployment.logs)")
        #expect(try deployment.eventTypes("order", orderId: cookingId) == ["OrderPlaced", "OrderCancelled"])
        #expect(await eventually(seconds: 10) { (try? deployment.eventTypes("delivery", orderId: cookingId)) == ["DeliveryCancelled"] })
        #expect(await eventually(seconds: 10) {
            let inbox = try? await deployment.call("GET", "/customers/me/notifications", token: customer)
            return inbox?.array.contains { $0["orderId"] as? String == cookingId && $0["status"] as? String == "cancelled" } == true
        })
        // The board is store-inbox's: it shows the order once that policy has handled its OrderPlaced.
        #expect(await eventually(seconds: 10) {
            let board = try? await deployment.call("GET", "/stores/s-gangnam-chicken/orders", token: owner)
            return board?.array.first { $0["orderId"] as? String == cookingId }?["status"] as? String == "cancelled"
        })
        // Picked: food is on its way; an operator decides.
        let picked = try await deployment.placeOrder(customer)
        let pickedId = try #require(picked.object["orderId"] as? String)
        for step in ["accept", "start-cooking", "finish-cooking"] { _ = try await deployment.call("POST", "/orders/\(pickedId)/\(step)", token: owner) }
        #expect(try await deployment.call("POST", "/deliveries/\(pickedId)/pick", token: rider).status == 200)
        _ = try await deployment.call("POST", "/payments/\(picked.object["paymentId"] as? String ?? "")/cancel", body: "{}", port: deployment.paymentPort)
        #expect(await eventually(seconds: 15) { (try? deployment.redisCommand("XLEN", "baedal:flags").int) == 1 }, "\(deployment.logs)")
        #expect(try await deployment.status(of: pickedId, customer) == "picked")
        let flag = try deployment.redisCommand("XRANGE", "baedal:flags", "-", "+").array?.first?.array?[1].array?.compactMap(\.string) ?? []
        #expect(flag.contains(pickedId) && flag.contains("PaymentCancelledAfterPickup"), "\(flag)")
    }

    // MARK: 9 — what riders see

    @Test func ridersSeeDeliveriesNotCustomersOrPayments() async throws {
        let deployment = try await Deployment()
        let customer = try await deployment.customer("c-private")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let rider = try await deployment.rider("r-1")
        let orderId = try await deployment.placed(customer, items: [("fried-chicken", 2), ("cola", 1)])
        for step in ["accept", "start-cooking", "finish-cooking"] { _ = try await deployment.call("POST", "/orders/\(orderId)/\(step)", token: owner) }
        var job: [String: Any] = [:]
        #expect(await eventually(seconds: 10) {
            job = (try? await deployment.call("GET", "/deliveries?region=gangnam", token: rider))?.array.first { $0["orderId"] as? String == orderId } ?? [:]
            return !job.isEmpty
        })
        for secret in ["customerId", "paymentId", "amount", "price"] {
            #expect(job[secret] == nil, "the board shows \(secret)")
        }
        #expect(job["dropoffAddress"] as? String == "서울 강남구 테헤란로 1")
        #expect(job["pickupAddress"] as? String == "서울 강남구 테헤란로 101")
        #expect(job["storeName"] as? String == "강남 치킨")
        #expect(job["units"] as? Int == 3)
        let pick = try await deployment.call("POST", "/deliveries/\(orderId)/pick", token: rider)
        #expect(pick.status == 200)
        #expect(pick.object["customerId"] == nil && pick.object["paymentId"] == nil && pick.object["amount"] == nil, "\(pick.body)")
    }

    // MARK: 10 — log lines

    @Test func loggedValuesCannotForgeLogLines() async throws {
        let deployment = try await Deployment(workers: ["store-inbox"])
        let forged = "1999-01-01T00:00:00.000Z critical baedal.worker : FORGED"
        _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-1\n\(forged)", "at", "1",
                                        "data", #"{"storeId":"s1"}"#)
        #expect(await eventually(seconds: 10) { (try? deadLetters(deployment).count) == 1 })
        let log = try #require(deployment.workers["store-inbox"]?.first).log
        #expect(log.contains("FORGED"), "the value is logged")
        #expect(!log.split(separator: "\n").contains { $0.hasPrefix("1999-01-01") }, "\(log)")
    }

    // MARK: 11 — the role before the lookup

    @Test func aRiderAskingToAcceptIsForbiddenWhetherOrNotTheOrderExists() async throws {
        let deployment = try await Deployment(workers: [])
        let orderId = try await deployment.placed(try await deployment.customer("c-1"))
        let rider = try await deployment.rider("r-1")
        let known = try await deployment.call("POST", "/orders/\(orderId)/accept", token: rider)
        let unknown = try await deployment.call("POST", "/orders/o-does-not-exist/accept", token: rider)
        #expect(known.status == 403)
        #expect(unknown.status == 403)
        #expect(known.body == unknown.body)
    }

    // MARK: 12, 14, 16 — bodies

    @Test func invalidUTF8IsABadRequestAndWritesNothing() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-bytes")
        var body = Array(#"{"storeId":"s-gangnam-chicken","items":[{"foodId":"cola","qty":1}],"region":"gangnam","address":""#.utf8)
        body += [0xFF, 0xFE, 0x41] + Array(#""}"#.utf8)
        let reply = try await deployment.callBytes("POST", "/orders", token: customer, body: body)
        #expect(reply.status == 400, "\(reply.body)")
        #expect(try deployment.streamLength("order") == 0)
        #expect(try deployment.streamLength("payment") == 0)
    }

    @Test func linesOfOneFoodCannotGetPastTheLimit() async throws {
        let deployment = try await Deployment(workers: [])
        let reply = try await deployment.placeOrder(try await deployment.customer("c-99"), items: [("cola", 99), ("cola", 99)])
        #expect(reply.status == 422, "\(reply.body)")
        #expect(reply.object["error"] as? String == "invalid_quantity")
        #expect(try deployment.streamLength("payment") == 0, "nothing was charged")
        let merged = try await deployment.placeOrder(try await deployment.customer("c-98"), items: [("cola", 49), ("cola", 50)])
        #expect(merged.status == 201)
        #expect(merged.object["amount"] as? Int == 99 * 2_500)
    }

    @Test func errorsDoNotEchoHugeInputs() async throws {
        let deployment = try await Deployment(workers: [])
        let customer = try await deployment.customer("c-echo")
        let food = String(repeating: "f", count: 60_000)
        let unknown = try await deployment.placeOrder(customer, items: [(food, 1)])
        #expect(unknown.status == 422)
        #expect(unknown.body.utf8.count < 1_024, "\(unknown.body.utf8.count) bytes")
        let key = String(repeating: "k", count: 60_000)
        let bad = try await deployment.call("POST", "/orders", token: customer, body: #"{"\#(key)":[}"#)
        #expect(bad.status == 400)
        #expect(bad.body.utf8.count < 1_024, "\(bad.body.utf8.count) bytes")
    }

    // MARK: 13, 15, 18 — the HTTP edge

    @Test func percentEncodedIdsInPathsAreDecoded() async throws {
        let deployment = try await Deployment(workers: [])
        let owner = try await deployment.token("owner", "점주", store: "가게")
        let saved = try await deployment.call("PUT", "/stores/%EA%B0%80%EA%B2%8C", token: owner, body: #"{"name":"우리 가게","region":"gangnam"}"#)
        #expect(saved.status == 200, "\(saved.body)")
        #expect(saved.object["storeId"] as? String == "가게")
        let menu = try await deployment.call("PUT", "/stores/%EA%B0%80%EA%B2%8C/menu", token: owner,
                                             body: #"{"items":[{"foodId":"김밥","name":"김밥","price":3500}]}"#)
        #expect(menu.status == 200, "\(menu.body)")
        #expect(try await deployment.call("GET", "/stores/%EA%B0%80%EA%B2%8C/menu").object["storeId"] as? String == "가게")
        #expect(try await deployment.call("GET", "/stores/%ZZ/menu").status == 400)
    }

    @Test func methodsHeadAndOverlongRequestsGetTheirStatusAndAJSONBody() async throws {
        let deployment = try await Deployment(workers: [])
        let head = try await deployment.call("HEAD", "/stores")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        for (method, path, allow) in [("DELETE", "/stores", "GET, HEAD"), ("GET", "/orders", "POST"), ("PUT", "/orders/o-1/cancel", "POST"),
                                      ("POST", "/stores/s-gangnam-chicken/menu", "GET, HEAD, PUT")] {
            let reply = try await deployment.call(method, path)
            #expect(reply.status == 405, "\(method) \(path): \(reply.status)")
            #expect(reply.header("Allow") == allow, "\(method) \(path)")
            #expect(reply.object["error"] as? String == "method_not_allowed")
        }
        #expect(try await deployment.call("GET", "/nowhere").status == 404)
        let socket = try RawSocket(port: deployment.apiPort)
        try socket.send("GET /stores?q=\(String(repeating: "x", count: 120_000)) HTTP/1.1\r\nHost: x\r\n\r\n")
        let (text, _) = socket.readUntilClosed(seconds: 5)
        #expect(text.hasPrefix("HTTP/1.1 431"), "\(text.prefix(100))")
        #expect(text.contains(#""error":"bad_request""#), "\(text.prefix(300))")
    }

    @Test func slowClientsAreCutOff() async throws {
        let deployment = try await Deployment(api: ["BAEDAL_HTTP_HEADER_TIMEOUT_MS": "500", "BAEDAL_HTTP_REQUEST_TIMEOUT_MS": "1000"], workers: [])
        let slowHead = try RawSocket(port: deployment.apiPort)
        try slowHead.send("GET /health/live HTTP/1.1\r\nHost: x\r\n")
        let (answer, closed) = slowHead.readUntilClosed(seconds: 5)
        #expect(closed, "a half-sent head held the connection")
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(100))")
        let slowBody = try RawSocket(port: deployment.apiPort)
        try slowBody.send("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"storeId\"")
        #expect(slowBody.readUntilClosed(seconds: 5).closed, "a half-sent body held the connection")
        // A client that sends on time is served.
        #expect(try await deployment.call("GET", "/health/live").status == 200)
    }

    // MARK: Helpers

    private func deadLetters(_ deployment: Deployment) throws -> [[String: String]] {
        (try deployment.redisCommand("XRANGE", "baedal:dead", "-", "+").array ?? []).map { entry in
            let flat = entry.array?[1].array?.compactMap(\.string) ?? []
            var fields: [String: String] = [:]
            for index in stride(from: 0, to: flat.count - 1, by: 2) where fields[flat[index]] == nil { fields[flat[index]] = flat[index + 1] }
            return fields
        }
    }
}

/// Tokens signed by hand with the deployment's secret: what an attacker who holds a valid
/// signing path (or a sloppy issuer) could produce, and what `baedalctl token` refuses to.
enum HandSigned {
    static func token(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, secret: String = Deployment.secret) -> String {
        let signingInput = "\(base64URL(Data(header.utf8))).\(base64URL(Data(payload.utf8)))"
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "\(signingInput).\(base64URL(Data(signature)))"
    }

    static func customer(_ sub: String) -> String { claims(sub: sub, role: "customer") }
    static func rider(_ sub: String) -> String { claims(sub: sub, role: "rider") }
    static func owner(store: String) -> String { claims(sub: "owner-x", role: "owner", store: store) }

    private static func claims(sub: String, role: String, store: String? = nil) -> String {
        var object: [String: Any] = ["sub": sub, "role": role, "exp": Int(Date().timeIntervalSince1970) + 3600]
        if let store { object["store"] = store }
        let payload = String(data: try! JSONSerialization.data(withJSONObject: object), encoding: .utf8)!
        return token(payload: payload)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
