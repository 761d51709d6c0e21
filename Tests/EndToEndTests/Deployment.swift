import Contract
import AsyncHTTPClient
import Foundation
import Identity
import NIOCore
import Policies
import Redis
import TestSupport

/// A whole Baedal on this machine for one test: its own redis-server, `baedal-payment`,
/// `baedal-api` and the workers, all real processes on free ports, the demo stores seeded.
final class Deployment: @unchecked Sendable {
    static let policies = PolicyCatalog.names
    static let secret = "end-to-end-secret-0123456789abcdef0123"

    let redis: RedisServer
    /// Set when the deployment runs on a primary, replicas and Sentinels (`redis-sentinel://`).
    let ha: RedisHighAvailability?
    /// Set when the deployment runs on a Redis Cluster (`redis-cluster://`); `redis` is its first node.
    let cluster: RedisClusterServers?
    /// The API's listening socket when the test holds it, as systemd holds `baedal-api.socket`:
    /// every API started gets it, and it stays open between them.
    let apiSocket: HeldSocket?
    let apiPort: Int
    let paymentPort: Int
    var api: BaedalProcess?
    var payment: BaedalProcess?
    var workers: [String: [BaedalProcess]] = [:]
    let base: [String: String]
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    private var authority: TokenAuthority?

    /// `payment` and `api` add to the environment of those processes, `environment` to every
    /// process's (`BAEDAL_PARTITIONS`, say); `workers` are started at once.
    init(payment: [String: String] = [:], api: [String: String] = [:], workers: [String] = Deployment.policies,
         claimIdleMilliseconds: Int = 1_000, ha: RedisHighAvailability? = nil, cluster: RedisClusterServers? = nil,
         environment: [String: String] = [:], holdAPISocket: Bool = false, redis: RedisServer? = nil) async throws {
        self.ha = ha
        self.cluster = cluster
        self.redis = try cluster?.servers[0] ?? ha?.servers[0] ?? redis ?? RedisServer()
        apiSocket = holdAPISocket ? try HeldSocket() : nil
        apiPort = try apiSocket?.port ?? freePort()
        paymentPort = try freePort()
        base = [
            "BAEDAL_REDIS_URL": cluster?.url ?? ha?.url ?? self.redis.url, "BAEDAL_JWT_SECRET": Self.secret,
            "BAEDAL_API_PORT": String(apiPort), "BAEDAL_PAYMENT_PORT": String(paymentPort),
            "BAEDAL_PAYMENT_URL": "http://127.0.0.1:\(paymentPort)",
            "BAEDAL_CLAIM_IDLE_MS": String(claimIdleMilliseconds), "BAEDAL_LOG_LEVEL": "info",
        ].merging(environment) { $1 }
        let seed = try BaedalProcess("baedalctl", ["seed"], environment: base)
        guard await seed.waitForExit() == 0 else { throw TestFailure("baedalctl seed failed: \(seed.log)") }
        try await startPayment(payment)
        try await startAPI(api)
        for policy in workers { try startWorker(policy) }
    }

    deinit {
        try? http.syncShutdown()
    }

    func startPayment(_ extra: [String: String] = [:]) async throws {
        payment = try BaedalProcess("baedal-payment", [], environment: base.merging(extra) { $1 })
        try await waitUntilReady(port: paymentPort, process: payment!)
    }

    func stopPayment() async {
        payment?.signal(SIGTERM)
        _ = await payment?.waitForExit()
        payment = nil
    }

    func startAPI(_ extra: [String: String] = [:]) async throws {
        api = try BaedalProcess("baedal-api", [], environment: base.merging(extra) { $1 }, listeningSocket: apiSocket?.descriptor)
        try await waitUntilReady(port: apiPort, process: api!)
    }

    /// SIGTERM to the API; its exit status (nil if it did not exit in time).
    func stopAPI() async -> Int32? {
        api?.signal(SIGTERM)
        return await api?.waitForExit()
    }

    func startWorker(_ policy: String, _ extra: [String: String] = [:]) throws {
        let instance = (workers[policy]?.count ?? 0) + 1
        let environment = base.merging(["BAEDAL_CONSUMER": "\(policy)-\(instance)"].merging(extra) { $1 }) { $1 }
        workers[policy, default: []].append(try BaedalProcess("baedal-worker", [policy], environment: environment))
    }

    /// SIGTERM to every instance of `policy` (or of every policy), waiting for them to exit.
    func stopWorkers(_ policy: String? = nil) async {
        for (name, processes) in workers where policy == nil || name == policy {
            for process in processes { process.signal(SIGTERM) }
            for process in processes { _ = await process.waitForExit() }
            workers[name] = nil
        }
    }

    private func waitUntilReady(port: Int, process: BaedalProcess) async throws {
        let ready = await eventually(seconds: 20) {
            guard process.isRunning else { return false }
            // Ready, and the answer is this process's: another process on the port is a failure.
            return (try? await self.call("GET", "/health/ready", port: port).status) == 200 && process.listens(on: port)
        }
        guard ready else { throw TestFailure("\(process.name) did not become ready:\n\(process.log)") }
    }

    // MARK: Identity

    func token(_ role: String, _ sub: String, store: String? = nil) async throws -> String {
        if authority == nil { authority = await TokenAuthority(secret: Self.secret) }
        return try await authority!.issue(sub: sub, role: role, store: store)
    }

    func customer(_ id: String) async throws -> String { try await token("customer", id) }
    func owner(of store: String) async throws -> String { try await token("owner", "owner-of-\(store)", store: store) }
    func rider(_ id: String) async throws -> String { try await token("rider", id) }

    // MARK: HTTP

    struct Reply: Sendable {
        var status: Int
        var body: String
        var headers: [(String, String)]

        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    func call(_ method: String, _ path: String, token: String? = nil, body: String? = nil,
              headers: [(String, String)] = [], port: Int? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? apiPort)\(path)")
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: buffer), headers: response.headers.map { ($0.name, $0.value) })
    }

    /// A request whose body is raw bytes (not necessarily UTF-8).
    func callBytes(_ method: String, _ path: String, token: String? = nil, body: [UInt8]) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(apiPort)\(path)")
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: buffer), headers: response.headers.map { ($0.name, $0.value) })
    }

    /// `POST /orders` of the given lines at the demo chicken store (or `store`); `connectionClose`
    /// asks for a new connection for this request.
    func placeOrder(_ token: String, items: [(String, Int)] = [("fried-chicken", 1)], store: String = "s-gangnam-chicken",
                    region: String = "gangnam", key: String? = nil, connectionClose: Bool = false) async throws -> Reply {
        let lines = items.map { #"{"foodId":"\#($0.0)","qty":\#($0.1)}"# }.joined(separator: ",")
        return try await call("POST", "/orders", token: token,
                              body: #"{"storeId":"\#(store)","items":[\#(lines)],"region":"\#(region)","address":"서울 강남구 테헤란로 1"}"#,
                              headers: (key.map { [("Idempotency-Key", $0)] } ?? []) + (connectionClose ? [("Connection", "close")] : []))
    }

    /// Places an order that must succeed; its id.
    func placed(_ token: String, items: [(String, Int)] = [("fried-chicken", 1)], store: String = "s-gangnam-chicken",
                region: String = "gangnam") async throws -> String {
        let reply = try await placeOrder(token, items: items, store: store, region: region)
        guard reply.status == 201, let id = reply.object["orderId"] as? String else {
            throw TestFailure("POST /orders answered \(reply.status): \(reply.body)")
        }
        return id
    }

    func status(of orderId: String, _ token: String) async throws -> String? {
        try await call("GET", "/orders/\(orderId)", token: token).object["status"] as? String
    }

    // MARK: Redis

    func redisCommand(_ arguments: String...) throws -> RESPValue {
        try primary().send(RedisCommand(arguments))
    }

    /// A connection to the primary: the test's Redis, or the one the Sentinels name now.
    func primary() throws -> RedisConnection {
        guard let ha else { return try redis.connect() }
        guard let port = ha.primaryPort, let server = ha.server(port: port) else { throw TestFailure("no primary") }
        return try server.connect()
    }

    /// The deployment's key space (`BAEDAL_PARTITIONS` of its environment).
    var keySpace: KeySpace { KeySpace(partitions: Int(base["BAEDAL_PARTITIONS"] ?? "1") ?? 1, tagged: cluster != nil) }

    /// A stream's key in every partition (the contract's one key with one partition), or in the
    /// partition of `orderId` only.
    func streamKeys(_ name: String, orderId: String? = nil) -> [String] {
        guard let stream = StreamName(rawValue: name) else { return ["baedal:events:\(name)"] }
        if let orderId { return [keySpace.keys(forOrder: orderId).stream(stream)] }
        return keySpace.all.map { $0.stream(stream) }
    }

    /// A stream's length, over every partition.
    func streamLength(_ name: String) throws -> Int {
        try streamKeys(name).reduce(0) { $0 + (try redisCommand("XLEN", $1).int ?? 0) }
    }

    /// Every entry of a stream as its type and order, in order (partition after partition).
    func eventTypesWithOrders(_ name: String) throws -> [(type: String, orderId: String)] {
        try streamKeys(name).flatMap { try redisCommand("XRANGE", $0, "-", "+").array ?? [] }.compactMap { entry in
            let fields = (entry.array?.last ?? .null).fields
            guard let type = fields["type"]?.string, let orderId = fields["orderId"]?.string else { return nil }
            return (type, orderId)
        }
    }

    /// The `type` field of every entry of a stream, in order.
    func eventTypes(_ name: String, orderId: String? = nil) throws -> [String] {
        let entries = try streamKeys(name, orderId: orderId).flatMap { try redisCommand("XRANGE", $0, "-", "+").array ?? [] }
        return entries.compactMap { entry -> String? in
            guard let fields = entry.array?.last?.array else { return nil }
            var values: [String: String] = [:]
            var index = 0
            while index + 1 < fields.count {
                values[fields[index].string ?? ""] = fields[index + 1].string
                index += 2
            }
            if let orderId, values["orderId"] != orderId { return nil }
            return values["type"]
        }
    }

    /// Every process's log, for a failing test's message.
    var logs: String {
        ([api, payment].compactMap { $0 } + workers.values.flatMap { $0 }).map { "== \($0.name)\n\($0.log.suffix(3000))" }.joined(separator: "\n")
    }
}
