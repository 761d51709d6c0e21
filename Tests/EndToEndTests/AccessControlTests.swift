import Contract
import Foundation
import Redis
import Testing
import TestSupport

/// Issue 23, "A Redis user per daemon": `ops/redis/users.acl` is what `baedalctl acl` prints, a
/// redis-server loads it, the whole order life runs with every daemon under its own user, and a
/// user is refused (`NOPERM`) a write another daemon owns.
@Suite("A Redis user per daemon", .serialized)
struct AccessControlTests {
    struct User {
        var name: String
        var rules: [String]
        var password: String { rules.first { $0.hasPrefix(">") }.map { String($0.dropFirst()) } ?? "" }
    }

    static let file = packageRoot().appendingPathComponent("ops/redis/users.acl")

    static func baedalctlACL(_ arguments: [String] = []) async throws -> String {
        let run = try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["acl"] + arguments)
        guard run.status == 0 else { throw TestFailure("baedalctl acl exited \(run.status): \(run.output)") }
        return run.output
    }

    /// The users of an ACL file: `user NAME rule…` lines.
    static func users(_ text: String) -> [User] {
        text.split(separator: "\n").filter { $0.hasPrefix("user ") }.map { line in
            let parts = line.split(separator: " ").map(String.init)
            return User(name: parts[1], rules: Array(parts.dropFirst(2)))
        }
    }

    /// Loads the users into a running server, `ACL SETUSER` per line (the test's servers take no `--aclfile`).
    static func load(_ users: [User], into connection: RedisConnection) throws {
        for user in users {
            _ = try connection.send(RedisCommand(["ACL", "SETUSER", user.name] + user.rules))
        }
    }

    static func connection(_ user: User, port: Int) throws -> RedisConnection {
        try RedisConnection(configuration: RedisConfiguration(port: port, username: user.name, password: user.password))
    }

    @Test func theFileIsWhatBaedalctlPrintsAndRedisLoadsIt() async throws {
        let printed = try await Self.baedalctlACL()
        let committed = try String(contentsOf: Self.file, encoding: .utf8)
        #expect(printed == committed, "ops/redis/users.acl differs from `baedalctl acl`: regenerate it with .build/debug/baedalctl acl > ops/redis/users.acl")
        let names = Self.users(printed).map(\.name)
        #expect(names == ["baedal-api", "baedal-payment", "baedal-store-inbox", "baedal-payment-refund", "baedal-delivery-dispatch",
                          "baedal-notification", "baedal-projector", "baedalctl", "baedal-autoscaler"])
        let other = try await Self.baedalctlACL(["--prefix", "shop"])
        #expect(other.contains("~shop:events:order") && other.contains("~shop:{*}:events:order") && !other.contains("~baedal:"))
        #expect(try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["acl", "--prefix", "a b"]).status == 64)

        // redis-server reads the file as it is.
        let server = try RedisServer(extraArguments: ["--aclfile", Self.file.path])
        let listed = try server.connect().send(RedisCommand("ACL", "USERS")).strings
        #expect(Set(names).isSubset(of: Set(listed)), "\(listed)")
        let api = try Self.connection(Self.users(printed)[0], port: server.port)
        #expect(try api.send(RedisCommand("PING")) == .status("PONG"))
    }

    /// One untagged partition (`baedal:events:order`) and four tagged ones (`baedal:{k}:…`, the catalogue under `{catalog}`).
    @Test(arguments: [1, 4])
    func theWholeOrderLifeWithEveryDaemonUnderItsOwnUserAndNOPERMForAnotherDaemonsKeys(partitions: Int) async throws {
        let deployment = try await Deployment(workers: [], environment: ["BAEDAL_PARTITIONS": String(partitions)])
        let users = Self.users(try await Self.baedalctlACL())
        func user(_ name: String) throws -> User { try #require(users.first { $0.name == name }) }
        func url(_ name: String) throws -> String { "redis://\(name):\(try user(name).password)@127.0.0.1:\(deployment.redis.port)" }
        try Self.load(users, into: deployment.redis.connect())

        // Every daemon again, under its own user.
        await deployment.stopPayment()
        try await deployment.startPayment(["BAEDAL_REDIS_URL": try url("baedal-payment")])
        _ = await deployment.stopAPI()
        try await deployment.startAPI(["BAEDAL_REDIS_URL": try url("baedal-api")])
        for policy in Deployment.policies {
            try deployment.startWorker(policy, ["BAEDAL_REDIS_URL": try url("baedal-\(policy)")])
        }
        let ctl = deployment.base.merging(["BAEDAL_REDIS_URL": try url("baedalctl")]) { $1 }
        let seed = try BaedalProcess("baedalctl", ["seed"], environment: ctl)
        #expect(await seed.waitForExit() == 0, "\(seed.log)")
        // The autoscaler reads the backlogs and writes its view under its own user. It is stopped
        // before any order: an instance it started would run under its user, not the projector's.
        let scaler = try BaedalProcess("baedal-autoscaler", ["--launcher", "process", "--policy", "projector:0:1", "--interval", "0.5",
                                                             "--metrics-port", "0"],
                                       environment: deployment.base.merging(["BAEDAL_REDIS_URL": try url("baedal-autoscaler")]) { $1 })
        let admin = try deployment.redis.connect()
        let shared = deployment.keySpace.shared
        #expect(await eventually(seconds: 10) { (try? admin.send(RedisCommand("HGET", shared.autoscaler, "projector")).string) != nil }, "\(scaler.log)")
        scaler.signal(SIGTERM)
        #expect(await scaler.waitForExit() == 0, "\(scaler.log)")
        #expect(!scaler.log.contains("NOPERM") && !scaler.log.contains("instance started"), "\(scaler.log)")

        // The whole order life through HTTP.
        let orderId = try await deployment.wholeLife(customer: "c-acl", rider: "r-acl")
        let customer = try await deployment.customer("c-acl")
        // The order's stages were measured (the projector's timings), its estimate read through the
        // API's user, and the console's routes answer under it (orders waiting, deadlines).
        let operatorToken = try await deployment.token("operator", "ops-acl")
        for route in ["dashboards", "streams", "dead", "waiting"] {
            let reply = try await deployment.call("GET", "/console/api/\(route)", token: operatorToken)
            #expect(reply.status == 200, "\(route): \(reply.body)")
        }
        let live = try await deployment.placeOrder(customer)
        let liveId = try #require(live.object["orderId"] as? String)
        #expect(try await deployment.call("GET", "/orders/\(liveId)", token: customer).object["estimatedDeliveryAt"] != nil)
        // baedalctl reads the deployment.
        let status = try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["status"], environment: ctl)
        #expect(status.status == 0, "\(status.output)")
        // Nobody was refused anything on the way.
        let processes = [deployment.api, deployment.payment].compactMap { $0 } + deployment.workers.values.flatMap { $0 }
        for process in processes {
            #expect(!process.log.contains("NOPERM"), "\(process.name):\n\(process.log.suffix(3000))")
        }

        // NOPERM: the notification worker's user may not write a payment, the API's not a dashboard.
        let keys = deployment.keySpace.keys(forOrder: orderId)
        let paymentId = try #require(try admin.send(RedisCommand("HGET", keys.key("payments", "by-order"), orderId)).string)
        let payment = deployment.keySpace.keys(forOrder: paymentId).key("payment", paymentId)
        let dashboard = keys.dashboard(.foodOrders)
        let notifier = try Self.connection(try user("baedal-notification"), port: deployment.redis.port)
        let rewrite = try notifier.sendKeepingErrors(RedisCommand("HSET", payment, "status", "cancelled"))
        #expect(rewrite.serverError?.serverCode == "NOPERM", "\(rewrite)")
        let forged = try notifier.sendKeepingErrors(RedisCommand("XADD", keys.stream(.payment), "*", "type", "PaymentCancelled", "orderId", orderId))
        #expect(forged.serverError?.serverCode == "NOPERM", "\(forged)")
        #expect(try notifier.sendKeepingErrors(RedisCommand("ZADD", keys.inbox("c-acl"), "1", "x")).serverError == nil)
        let api = try Self.connection(try user("baedal-api"), port: deployment.redis.port)
        let inflate = try api.sendKeepingErrors(RedisCommand("HINCRBY", dashboard, "cola", "1000"))
        #expect(inflate.serverError?.serverCode == "NOPERM", "\(inflate)")
        // Through a script too: each redis.call is checked against the caller's user.
        let scripted = try api.sendKeepingErrors(RedisCommand("EVAL", "return redis.call('HINCRBY', KEYS[1], 'cola', 1000)", "1",
                                                              dashboard))
        #expect(scripted.serverError?.serverCode == "NOPERM", "\(scripted)")
        #expect(try admin.send(RedisCommand("HGET", payment, "status")).string == "approved")
        #expect(try admin.send(RedisCommand("HGET", dashboard, "cola")).string == "2")
    }

    /// A worker whose Redis user lacks what it needs stops with a configuration error (exit 2, one
    /// critical line) instead of retrying for ever, and dead-letters nothing: its messages stay
    /// pending for when the user is fixed.
    @Test func aWorkerRefusedByItsRedisUserStopsWithAConfigurationErrorAndKeepsItsMessages() async throws {
        let deployment = try await Deployment(workers: [])
        let users = Self.users(try await Self.baedalctlACL())
        func url(_ name: String) throws -> String {
            let password = name.hasSuffix("-narrowed") ? try #require(users.first { $0.name == "baedal-projector" }).password
                : try #require(users.first { $0.name == name }).password
            return "redis://\(name):\(password)@127.0.0.1:\(deployment.redis.port)"
        }
        try Self.load(users, into: deployment.redis.connect())
        func projector(as user: String, consumer: String) throws -> BaedalProcess {
            try BaedalProcess("baedal-worker", ["projector"], environment: deployment.base.merging(["BAEDAL_REDIS_URL": try url(user), "BAEDAL_CONSUMER": consumer]) { $1 })
        }
        // The autoscaler's user only reads the streams: the projector cannot even make its group.
        let reader = try projector(as: "baedal-autoscaler", consumer: "p-reader")
        #expect(await reader.waitForExit(seconds: 30) == 2, "\(reader.log)")
        #expect(reader.log.contains("NOPERM") && reader.log.contains("configuration error"), "\(reader.log)")

        // The projector's own user without the dashboards: it makes its group, reads an order, is
        // refused its writes, and stops with the order's event still pending.
        let own = try #require(users.first { $0.name == "baedal-projector" })
        let narrowed = User(name: "baedal-projector-narrowed", rules: own.rules.filter { !$0.contains(":dashboard:") })
        #expect(narrowed.rules.count == own.rules.count - 2)
        try Self.load([narrowed], into: deployment.redis.connect())
        let customer = try await deployment.customer("c-noperm")
        let orderId = try await deployment.placed(customer)
        let refused = try projector(as: narrowed.name, consumer: "p-refused")
        #expect(await refused.waitForExit(seconds: 30) == 2, "\(refused.log)")
        #expect(refused.log.contains("NOPERM") && refused.log.contains("configuration error"), "\(refused.log)")
        let admin = try deployment.redis.connect()
        #expect((try admin.send(RedisCommand("XLEN", "baedal:dead")).int ?? -1) == 0, "nothing dead-lettered")
        let pending = try admin.send(RedisCommand("XPENDING", "baedal:events:order", "projector", "-", "+", "10")).array ?? []
        #expect(pending.count == 1 && pending.first?.array?[1].string == "p-refused", "the order's event waits for the projector: \(pending)")
        let held = try admin.send(RedisCommand("XRANGE", "baedal:events:order", "-", "+")).array ?? []
        #expect(held.contains { ($0.array?[1].array?.compactMap(\.string) ?? []).contains(orderId) }, "the order's OrderPlaced is there")
    }

    /// A systemd credential directory holding one daemon's Redis password (`LoadCredential=`).
    static func credentials(_ password: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data((password + "\n").utf8).write(to: directory.appendingPathComponent("redis-password"))
        return directory.path
    }

    /// The units hand each daemon its Redis password as a systemd credential: the URL names only
    /// the user. A password in both places is refused at start. And the API whose user is refused
    /// its commit (`NOPERM`) answers 500, logs a configuration error at critical, and gives the
    /// charge back.
    @Test func theRedisPasswordComesFromACredentialAndARefusedCommitIsAConfigurationError() async throws {
        let deployment = try await Deployment(workers: [])
        let users = Self.users(try await Self.baedalctlACL())
        try Self.load(users, into: deployment.redis.connect())
        let port = deployment.redis.port
        func password(_ name: String) throws -> String { try #require(users.first { $0.name == name }).password }

        // The API with the user in the URL and the password as a credential.
        _ = await deployment.stopAPI()
        try await deployment.startAPI(["BAEDAL_REDIS_URL": "redis://baedal-api:@127.0.0.1:\(port)",
                                       "CREDENTIALS_DIRECTORY": try Self.credentials(try password("baedal-api"))])
        // The worker as its unit's drop-in starts it: the user from BAEDAL_REDIS_USER, the URL the shared one.
        try deployment.startWorker("projector", ["BAEDAL_REDIS_URL": "redis://127.0.0.1:\(port)", "BAEDAL_REDIS_USER": "baedal-projector",
                                                 "CREDENTIALS_DIRECTORY": try Self.credentials(try password("baedal-projector"))])
        let customer = try await deployment.customer("c-credential")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let orderId = try await deployment.placed(customer, items: [("fried-chicken", 3)])
        #expect(await eventually(seconds: 10) {
            (try? await deployment.call("GET", "/dashboard/food-orders", token: owner).object)?["fried-chicken"] as? Int == 3
        }, "the projector counted the order under its own user: \(deployment.logs)")
        #expect(try await deployment.status(of: orderId, customer) == "placed")

        // The password twice: which one is meant cannot be guessed.
        let twice = try BaedalProcess("baedal-worker", ["projector"], environment: deployment.base.merging([
            "BAEDAL_REDIS_URL": "redis://baedal-projector:\(try password("baedal-projector"))@127.0.0.1:\(port)",
            "CREDENTIALS_DIRECTORY": try Self.credentials(try password("baedal-projector")), "BAEDAL_CONSUMER": "p-twice",
        ]) { $1 })
        #expect(await twice.waitForExit(seconds: 30) == 2, "\(twice.log)")
        #expect(twice.log.contains("redis-password") && twice.log.contains("keep one"), "\(twice.log)")

        // The API's user without the right to append events: its commit is refused.
        let own = try #require(users.first { $0.name == "baedal-api" })
        let narrowed = User(name: "baedal-api-narrowed", rules: own.rules.map { $0.hasPrefix("~") && $0.contains(":events:") ? "%R" + $0 : $0 })
        #expect(narrowed.rules != own.rules)
        try Self.load([narrowed], into: deployment.redis.connect())
        _ = await deployment.stopAPI()
        try await deployment.startAPI(["BAEDAL_REDIS_URL": "redis://baedal-api-narrowed:@127.0.0.1:\(port)",
                                       "CREDENTIALS_DIRECTORY": try Self.credentials(try password("baedal-api"))])
        let refused = try await deployment.placeOrder(customer, key: "refused-commit")
        #expect(refused.status == 500, "\(refused.body)")
        #expect(refused.object["error"] as? String == "internal" && (refused.object["message"] as? String ?? "").contains("misconfigured"), "\(refused.body)")
        let api = try #require(deployment.api)
        #expect(await eventually(seconds: 10) { api.log.contains("configuration error") && api.log.contains("NOPERM") }, "\(api.log)")
        // The charge was given back: the gateway's payment for the refused order is cancelled.
        let admin = try deployment.redis.connect()
        let byOrder = deployment.keySpace.keys(forOrder: orderId).key("payments", "by-order")
        let charged = try admin.send(RedisCommand("HGETALL", byOrder)).strings
        let refusedCharges = stride(from: 0, to: charged.count - 1, by: 2).filter { charged[$0] != orderId }.map { (charged[$0], charged[$0 + 1]) }
        try #require(refusedCharges.count == 1, "charged once before the commit: \(charged)")
        let (refusedId, paymentId) = refusedCharges[0]
        #expect(try admin.send(RedisCommand("EXISTS", deployment.keySpace.keys(forOrder: refusedId).order(refusedId))).int == 0, "no order")
        #expect(await eventually(seconds: 10) {
            (try? admin.send(RedisCommand("HGET", deployment.keySpace.keys(forOrder: paymentId).key("payment", paymentId), "status")).string) == "cancelled"
        }, "\(api.log)")
    }
}
