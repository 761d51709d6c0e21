import Foundation
import Redis
import Testing
import TestSupport

/// Issue 14: `GET /openapi.json` validates with openapi-spec-validator, and schemathesis, run
/// against a whole deployment as every role, finds every answer of the API in it: no 5xx, no
/// undocumented status, no body off its schema; and each operation's `x-roles` is who the API
/// lets through. (That the document lists exactly the router's routes is checked in APITests,
/// where the router is at hand.)
@Suite("OpenAPI: validation and schemathesis", .serialized)
struct OpenAPITests {
    static let checks = "not_a_server_error,status_code_conformance,response_schema_conformance"
    /// Cases per operation and phase; with the seed, the same cases every run.
    static let maxExamples = 8
    static let seed = 14
    // One worker: with two, schemathesis 4.32.5 on Python 3.11 now and then stops an operation with
    // "AST constructor recursion depth mismatch" (Hypothesis parsing a lambda's source in a thread).

    @Test func theDocumentValidatesSchemathesisFindsNothingAsAnyRoleAndTheRolesHold() async throws {
        let python = try venvPython()
        let bin = URL(fileURLWithPath: python).deletingLastPathComponent()
        let deployment = try await Deployment()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-openapi-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // The document as served, through the real validator.
        let served = try await deployment.call("GET", "/openapi.json")
        #expect(served.status == 200)
        #expect((served.object["openapi"] as? String)?.hasPrefix("3.1.") == true)
        let file = directory.appendingPathComponent("openapi.json")
        try Data(served.body.utf8).write(to: file)
        let validation = try await runProgram(bin.appendingPathComponent("openapi-spec-validator").path, [file.path])
        #expect(validation.status == 0, "openapi-spec-validator:\n\(validation.output)")

        // Data for the fuzzer to find beyond the 404s: orders of its customer in every status,
        // at its owner's store, picked by its rider; dead letters for its operator.
        let world = try await FuzzWorld.make(in: deployment)

        let url = "http://127.0.0.1:\(deployment.apiPort)/openapi.json"
        let roles: [(String, String?)] = [
            ("public", nil),
            ("customer", world.customer),
            ("rider", world.rider),
            ("operator", world.operator),
            ("owner", world.owner),
        ]
        for (role, token) in roles {
            let config = directory.appendingPathComponent("\(role).toml")
            try world.schemathesisConfig.write(to: config, atomically: true, encoding: .utf8)
            var arguments = ["--config-file", config.path, "run", url, "--checks", Self.checks, "--phases", "examples,coverage,fuzzing",
                             "--max-examples", String(Self.maxExamples), "--seed", String(Self.seed), "--workers", "1",
                             "--generation-database", "none", "--request-timeout", "20", "--no-color", "--output-truncate", "true"]
            if let token { arguments += ["--header", "Authorization: Bearer \(token)"] }
            let started = Date()
            // Hypothesis keeps its files in the run's directory, not the package's.
            let run = try await runProgram(bin.appendingPathComponent("st").path, arguments,
                                           environment: ["HYPOTHESIS_STORAGE_DIRECTORY": directory.appendingPathComponent("hypothesis").path],
                                           seconds: 240)
            let seconds = Date().timeIntervalSince(started)
            print("schemathesis as \(role): exit \(run.status) in \(String(format: "%.1f", seconds)) s")
            #expect(run.status == 0, "schemathesis as \(role) (exit \(run.status)):\n\(run.output)\n\(deployment.logs)")
        }
        // After the fuzzer: the roles' calls take the rider's delivery further, which it needs as it is.
        try await Self.checkRoles(served.object, deployment, world)
    }
}

extension OpenAPITests {
    /// Each operation's `x-roles` is what the API does: without a token 401, with the token of a
    /// role it does not list 403, with one it lists neither (ids of that caller's own store, order
    /// and delivery, so that only the role decides).
    static func checkRoles(_ document: [String: Any], _ deployment: Deployment, _ world: FuzzWorld) async throws {
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        let tokens = ["customer": world.customer, "owner": world.owner, "rider": world.rider, "operator": world.operator]
        // The fifth order is picked by the world's rider: the customer's, at the owner's store, the rider's delivery.
        let ids = ["{storeId}": world.stores[0], "{orderId}": world.orders[4], "{letterId}": "1-1"]
        var checked = 0
        for (template, item) in paths.sorted(by: { $0.key < $1.key }) {
            for (method, operation) in item where OpenAPIDocumentMethods.all.contains(method) {
                let roles = try #require(operation["x-roles"] as? [String], "\(method) \(template)")
                guard roles != ["anyone"] else { continue }
                var path = ids.reduce(template) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
                if template == "/deliveries" { path += "?region=gangnam" }
                let body = method == "get" ? nil : "{}"
                let verb = method.uppercased()
                let anonymous = try await deployment.call(verb, path, body: body)
                #expect(anonymous.status == 401, "\(verb) \(path) without a token: \(anonymous.status) \(anonymous.body)")
                for (role, token) in tokens.sorted(by: { $0.key < $1.key }) {
                    let reply = try await deployment.call(verb, path, token: token, body: body)
                    if roles.contains(role) {
                        #expect(reply.status != 401 && reply.status != 403, "\(verb) \(path) lists \(role): \(reply.status) \(reply.body)")
                    } else {
                        #expect(reply.status == 403, "\(verb) \(path) does not list \(role): \(reply.status) \(reply.body)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked >= 100, "roles checked: \(checked)")
    }
}

enum OpenAPIDocumentMethods {
    static let all: Set<String> = ["get", "put", "post", "delete", "patch", "options", "trace"]
}

/// What the fuzzer is given to reach real resources: ids of a store, orders in every status,
/// regions, foods and dead letters, as schemathesis dictionaries bound to the parameters and
/// body fields that take them (each used with some probability, generated values otherwise).
struct FuzzWorld {
    var customer: String
    var owner: String
    var rider: String
    var `operator`: String
    var stores = ["s-gangnam-chicken", "s-gangnam-bunsik", "s-mapo-jjajang"]
    var regions = ["gangnam", "mapo"]
    var foods = ["fried-chicken", "seasoned-chicken", "cola"]
    var orders: [String] = []
    var letters: [String] = []

    static func make(in deployment: Deployment) async throws -> FuzzWorld {
        var world = FuzzWorld(customer: try await deployment.customer("c-fuzz"), owner: try await deployment.owner(of: "s-gangnam-chicken"),
                              rider: try await deployment.rider("r-fuzz"), operator: try await deployment.token("operator", "op-fuzz"))
        let steps: [[String]] = [
            [], ["accept"], ["accept", "start-cooking"], ["accept", "start-cooking", "finish-cooking"],
            ["accept", "start-cooking", "finish-cooking", "pick"], ["accept", "start-cooking", "finish-cooking", "pick", "deliver"],
            ["accept", "start-cooking", "finish-cooking", "pick", "deliver", "confirm"], ["cancel"], ["reject"],
        ]
        for path in steps {
            let order = try await deployment.placed(world.customer, items: [("fried-chicken", 2), ("cola", 1)])
            for step in path {
                let reply: Deployment.Reply
                switch step {
                case "pick", "deliver":
                    if step == "pick" {
                        // The delivery opens when delivery-dispatch has seen CookingFinished.
                        let opened = await eventually(seconds: 20) { (try? deployment.eventTypes("delivery", orderId: order))?.contains("DeliveryOpened") == true }
                        guard opened else { throw TestFailure("no DeliveryOpened for \(order)\n\(deployment.logs)") }
                    }
                    reply = try await deployment.call("POST", "/deliveries/\(order)/\(step)", token: world.rider)
                case "cancel", "confirm": reply = try await deployment.call("POST", "/orders/\(order)/\(step)", token: world.customer)
                default: reply = try await deployment.call("POST", "/orders/\(order)/\(step)", token: world.owner)
                }
                guard reply.status == 200 else { throw TestFailure("\(step) of \(order): \(reply.status) \(reply.body)") }
            }
            world.orders.append(order)
        }
        let redis = try deployment.primary()
        for (index, reason) in ["malformed: data is not JSON", "handler failed 25 times"].enumerated() {
            let id = try redis.send(RedisCommand([
                "XADD", "baedal:dead", "*", "stream", "baedal:events:order", "id", "1-\(index + 1)", "group", "projector", "consumer", "fuzz",
                "deliveries", "25", "reason", reason, "type", "OrderPlaced", "orderId", "o-dead-\(index)", "at", "1", "data", "not json",
            ])).string
            guard let id else { throw TestFailure("XADD baedal:dead answered no id") }
            world.letters.append(id)
        }
        return world
    }

    /// A schemathesis.toml: the dictionaries and where they apply.
    var schemathesisConfig: String {
        func list(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return """
            [cache]
            enabled = false

            [dictionaries.stores]
            values = \(list(stores))
            [dictionaries.orders]
            values = \(list(orders))
            [dictionaries.regions]
            values = \(list(regions))
            [dictionaries.foods]
            values = \(list(foods))
            [dictionaries.letters]
            values = \(list(letters))

            [parameters]
            "path.storeId" = { dictionary = "stores", probability = 0.7 }
            "path.orderId" = { dictionary = "orders", probability = 0.7 }
            "path.letterId" = { dictionary = "letters", probability = 0.7 }
            "query.region" = { dictionary = "regions", probability = 0.7 }
            "body.storeId" = { dictionary = "stores", probability = 0.7 }
            "body.region" = { dictionary = "regions", probability = 0.7 }
            "body.items[*].foodId" = { dictionary = "foods", probability = 0.7 }
            "body.through" = { dictionary = "letters", probability = 0.7 }

            """
    }
}
