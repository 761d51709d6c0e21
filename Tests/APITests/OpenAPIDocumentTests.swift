import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing
import TestSupport

/// Issue 14: `GET /openapi.json` is the document of exactly the routes the router serves, so the
/// two cannot drift: a route added without its entry (or an entry without its route) fails here.
@Suite("OpenAPI document and router", .serialized)
struct OpenAPIDocumentTests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "options", "trace"]

    @Test func theDocumentListsExactlyTheRoutesTheRouterServes() async throws {
        let server = try RedisServer()
        let settings = try APISettings(["BAEDAL_REDIS_URL": server.url, "BAEDAL_JWT_SECRET": String(repeating: "k", count: 40),
                                        "BAEDAL_PAYMENT_URL": "http://127.0.0.1:1"])
        let api = await BaedalAPI(settings: settings, registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
        let router = api.router()
        // HEAD is generated wherever GET is (documented once, in the document's description).
        let served = Set(router.routes.filter { $0.method != .head }.map { "\($0.method.rawValue) \($0.path)" })
        let app = Application(router: router)
        let body = try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                return response.body
            }
        }
        await api.shutdown()

        let document = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.1.") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, item) in paths {
            for (method, operation) in item where Self.methods.contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
                // Every `{name}` of the template is a declared path parameter, and nothing else is.
                let operation = try #require(operation as? [String: Any])
                let declared = Set(((operation["parameters"] as? [[String: Any]]) ?? []).filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
                let inTemplate = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                #expect(declared == inTemplate, "\(method.uppercased()) \(path): path parameters \(declared.sorted()) vs \(inTemplate.sorted())")
                #expect(operation["x-roles"] is [String], "\(method.uppercased()) \(path) names no roles")
            }
        }
        #expect(served.count >= 30, "the router's routes: \(served.sorted())")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }
}
