import Contract
import API
import Backbone
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Prometheus
import Redis
import Testing
import TestSupport

/// The API's router through Hummingbird's test client, against a real redis-server: the
/// contract's error bodies and status codes at the HTTP edge.
@Suite("API router", .serialized)
struct RouterTests {
    static let secret = String(repeating: "k", count: 40)

    func withAPI(_ body: @Sendable (any TestClientProtocol, RedisServer) async throws -> Void) async throws {
        let server = try RedisServer()
        let settings = try APISettings(["BAEDAL_REDIS_URL": server.url, "BAEDAL_JWT_SECRET": Self.secret,
                                        "BAEDAL_PAYMENT_URL": "http://127.0.0.1:1", "BAEDAL_PAYMENT_TIMEOUT_MS": "300"])
        let api = await BaedalAPI(settings: settings, registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
        let connection = try server.connect()
        _ = try connection.send(RedisCommand("HSET", "baedal:store:s1", "name", "가게", "region", "gangnam",
                                             "menu", #"[{"foodId":"f1","name":"김밥","price":3000}]"#))
        _ = try connection.send(RedisCommand("SADD", "baedal:stores", "s1"))
        let app = Application(router: api.router())
        try await app.test(.router) { client in try await body(client, server) }
        await api.shutdown()
    }

    func token(_ role: String, _ sub: String, store: String? = nil) async throws -> String {
        try await TokenAuthority(secret: Self.secret).issue(sub: sub, role: role, store: store)
    }

    func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8))) as? [String: Any] ?? [:]
    }

    @Test func publicReadsNeedNoToken() async throws {
        try await withAPI { client, _ in
            try await client.execute(uri: "/stores", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"[{"storeId":"s1","name":"가게","region":"gangnam"}]"#)
            }
            try await client.execute(uri: "/stores/s1/menu", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"storeId":"s1","items":[{"foodId":"f1","name":"김밥","price":3000}]}"#)
            }
            try await client.execute(uri: "/health/live", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test func errorsHaveTheContractsBody() async throws {
        let customer = try await token("customer", "c1")
        try await withAPI { client, _ in
            try await client.execute(uri: "/orders", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .unauthorized)
                #expect(json(response.body)["error"] as? String == "unauthorized")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            let big = ByteBuffer(string: #"{"storeId":""# + String(repeating: "x", count: 70_000) + #""}"#)
            try await client.execute(uri: "/orders", method: .post, headers: [.authorization: "Bearer \(customer)"], body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(json(response.body)["error"] as? String == "body_too_large")
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(json(response.body)["error"] as? String == "not_found")
            }
            try await client.execute(uri: "/orders", method: .post, headers: [.authorization: "Bearer \(customer)"],
                                     body: ByteBuffer(string: #"{"storeId":"s1","items":[{"foodId":"f1","qty":true}],"region":"r","address":"a"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect((json(response.body)["message"] as? String)?.contains("items[0].qty") == true)
            }
        }
    }

    @Test func anUnreachableGatewayIs503WithRetryAfterAndNoOrder() async throws {
        let customer = try await token("customer", "c1")
        try await withAPI { client, server in
            try await client.execute(uri: "/orders", method: .post, headers: [.authorization: "Bearer \(customer)"],
                                     body: ByteBuffer(string: #"{"storeId":"s1","items":[{"foodId":"f1","qty":2}],"region":"r","address":"a"}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(json(response.body)["error"] as? String == "payment_unavailable")
                #expect(response.headers[.retryAfter] != nil)
            }
            #expect(try server.connect().send(RedisCommand("XLEN", "baedal:events:order")).int == 0)
        }
    }
}
