import API
import Application
import Contract
import Foundation
import HTTPServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import InMemoryAdapters
import Logging
import Orders
import Payments
import Stores
import Testing

/// The HTTP API in process, over the application and its in-memory adapters (the Hummingbird
/// examples' `app.test(.router)` with a memory repository): every route's parsing, roles,
/// statuses and bodies, without Redis or spawned processes. What needs Redis or real processes
/// (atomic commits, the policies, crashes) is tested beside those.
@Suite("The API in process")
struct InProcessAPITests {
    static let secret = String(repeating: "k", count: 40)
    static let store = Store(storeId: "s-1", name: "김밥천국", region: "gangnam", address: "서울 강남구 1")
    static let menu = try! Menu(items: [MenuItem(foodId: "kimbap", name: "김밥", price: 3_500), MenuItem(foodId: "cola", name: "콜라", price: 2_000)])

    /// One API over fresh in-memory adapters, and its parts for the test to look at.
    struct World: Sendable {
        let orders = InMemoryOrderRepository()
        let catalog = InMemoryStoreCatalog([(InProcessAPITests.store, InProcessAPITests.menu)])
        let views: InMemoryViews
        let gateway = InMemoryPaymentGateway(declineAbove: 50_000)
        let voids = InMemoryPaymentVoids()

        init() { views = InMemoryViews(orders: orders) }

        func router() async -> Router<BaedalContext> {
            let baedal = Baedal(orders: orders, stores: catalog, views: views, gateway: gateway, voids: voids,
                                breaker: CircuitBreaker(settings: .init(failureThreshold: 3, openDuration: .seconds(60))), logger: Logger(label: "test"))
            let verifier = try! await TokenVerifier.start(IdentityConfiguration(secret: InProcessAPITests.secret), logger: Logger(label: "test"))
            return APIRouter.build(baedal: baedal, auth: Authenticator(verifier: verifier))
        }
    }

    static func token(_ role: String, _ sub: String, store: String? = nil) async throws -> String {
        try await TokenAuthority(secret: secret).issue(sub: sub, role: role, store: store)
    }

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8))) as? [String: Any] ?? [:]
    }

    static func list(_ buffer: ByteBuffer) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8))) as? [[String: Any]] ?? []
    }

    static let order = ByteBuffer(string: #"{"storeId":"s-1","items":[{"foodId":"kimbap","qty":2},{"foodId":"cola","qty":1}],"region":"gangnam","address":"테헤란로 1"}"#)

    func withAPI(_ world: World = World(), _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: await world.router()).test(.router) { client in try await body(client) }
    }

    /// Places the test order as `customer`; its id.
    func place(_ client: any TestClientProtocol, _ customer: String, key: String? = nil) async throws -> String {
        var headers: HTTPFields = [.authorization: "Bearer \(customer)"]
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(uri: "/orders", method: .post, headers: headers, body: Self.order) { response in
            try #require(response.status == .created, "\(String(buffer: response.body))")
            return try #require(Self.json(response.body)["orderId"] as? String)
        }
    }

    @Test func aPaidOrderIsPricedByTheServerAndItsReceiptNamesIt() async throws {
        let world = World()
        let customer = try await Self.token("customer", "c-1")
        try await withAPI(world) { client in
            try await client.execute(uri: "/orders", method: .post, headers: [.authorization: "Bearer \(customer)"], body: Self.order) { response in
                #expect(response.status == .created)
                let receipt = Self.json(response.body)
                #expect(receipt["status"] as? String == "placed" && receipt["amount"] as? Int == 9_000)
                #expect(world.gateway.payments.values.map(\.amount) == [9_000])
            }
        }
        #expect(world.orders.events.map(\.event) == [.orderPlaced])
    }

    @Test func theSameKeyIsTheSameOrderAndAnotherRequestWithItIs422() async throws {
        let world = World()
        let customer = try await Self.token("customer", "c-1")
        try await withAPI(world) { client in
            let first = try await place(client, customer, key: "k-1")
            #expect(try await place(client, customer, key: "k-1") == first)
            let other = ByteBuffer(string: #"{"storeId":"s-1","items":[{"foodId":"cola","qty":5}],"region":"gangnam","address":"테헤란로 1"}"#)
            try await client.execute(uri: "/orders", method: .post, headers: [.authorization: "Bearer \(customer)", HTTPField.Name("Idempotency-Key")!: "k-1"],
                                     body: other) { response in
                #expect(response.status == .unprocessableContent)
                #expect(Self.json(response.body)["error"] as? String == "idempotency_key_mismatch")
            }
        }
        #expect(world.gateway.payments.count == 1, "charged once")
    }

    @Test(arguments: [
        (#"{"storeId":"s-1","items":[{"foodId":"pizza","qty":1}],"region":"gangnam","address":"a"}"#, 422, "unknown_food"),
        (#"{"storeId":"s-1","items":[{"foodId":"kimbap","qty":100}],"region":"gangnam","address":"a"}"#, 422, "invalid_quantity"),
        (#"{"storeId":"s-none","items":[{"foodId":"kimbap","qty":1}],"region":"gangnam","address":"a"}"#, 404, "unknown_store"),
        (#"{"storeId":"s-1","items":[],"region":"gangnam","address":"a"}"#, 400, "bad_request"),
        (#"{"storeId":"s:1","items":[{"foodId":"kimbap","qty":1}],"region":"gangnam","address":"a"}"#, 400, "bad_request"),
        (#"{"storeId":"s-1","items":[{"foodId":"kimbap","qty":1}],"region":"gang nam","address":"a"}"#, 400, "bad_request"),
        (#"{"storeId":"s-1","items":[{"foodId":"kimbap","qty":"1"}],"region":"gangnam","address":"a"}"#, 400, "bad_request"),
        (#"{"storeId":"s-1","items":[{"foodId":"kimbap","qty":20}],"region":"gangnam","address":"a"}"#, 402, "payment_declined"),
        (#"not json"#, 400, "bad_request"),
    ])
    func badOrdersAreRefusedAndNothingIsWritten(_ body: String, _ status: Int, _ code: String) async throws {
        let world = World()
        let customer = try await Self.token("customer", "c-1")
        try await withAPI(world) { client in
            try await client.execute(uri: "/orders", method: .post, headers: [.authorization: "Bearer \(customer)"], body: ByteBuffer(string: body)) { response in
                #expect(Int(response.status.code) == status, "\(String(buffer: response.body))")
                #expect(Self.json(response.body)["error"] as? String == code)
            }
        }
        #expect(world.orders.events.isEmpty)
    }

    @Test func aGatewayThatDoesNotAnswerIs503AndTheChargeIsHandedOn() async throws {
        let world = World()
        world.gateway.fail(with: .timedOut)
        let customer = try await Self.token("customer", "c-1")
        try await withAPI(world) { client in
            try await client.execute(uri: "/orders", method: .post, headers: [.authorization: "Bearer \(customer)"], body: Self.order) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
            }
        }
        #expect(world.orders.events.isEmpty)
        #expect(world.voids.requests.map(\.type) == ["PaymentVoidRequested"], "payment-refund settles the unanswered charge")
    }

    /// Each role does its steps; the wrong role is 403 before the order is looked up; a step in
    /// the wrong status is 409.
    @Test func anOrdersLifeThroughTheAPIWithEveryRoleAndRefusal() async throws {
        let world = World()
        let customer = try await Self.token("customer", "c-1")
        let stranger = try await Self.token("customer", "c-2")
        let owner = try await Self.token("owner", "u-1", store: "s-1")
        let otherOwner = try await Self.token("owner", "u-2", store: "s-2")
        let rider = try await Self.token("rider", "r-1")
        try await withAPI(world) { client in
            let orderId = try await place(client, customer)
            func post(_ path: String, _ token: String) async throws -> (Int, [String: Any]) {
                try await client.execute(uri: path, method: .post, headers: [.authorization: "Bearer \(token)"]) { (Int($0.status.code), Self.json($0.body)) }
            }
            #expect(try await post("/orders/\(orderId)/accept", rider).0 == 403)
            #expect(try await post("/orders/o-none/accept", rider).0 == 403, "roles before lookups: ids cannot be probed")
            #expect(try await post("/orders/\(orderId)/accept", otherOwner).0 == 403)
            #expect(try await post("/orders/\(orderId)/start-cooking", owner).0 == 409)
            for step in ["accept", "start-cooking"] { #expect(try await post("/orders/\(orderId)/\(step)", owner).0 == 200) }
            let (status, body) = try await post("/orders/\(orderId)/cancel", customer)
            #expect(status == 409 && body["error"] as? String == "cannot_cancel_after_cooking_started")
            #expect(try await post("/orders/\(orderId)/finish-cooking", owner).0 == 200)
            #expect(try await post("/deliveries/\(orderId)/pick", rider).0 == 200)
            #expect(try await post("/deliveries/\(orderId)/pick", try await Self.token("rider", "r-2")).1["error"] as? String == "already_picked")
            #expect(try await post("/deliveries/\(orderId)/deliver", rider).0 == 200)
            #expect(try await post("/orders/\(orderId)/confirm", stranger).0 == 403)
            #expect(try await post("/orders/\(orderId)/confirm", customer).0 == 200)
            try await client.execute(uri: "/orders/\(orderId)", method: .get, headers: [.authorization: "Bearer \(rider)"]) { response in
                let order = Self.json(response.body)
                #expect(order["status"] as? String == "completed" && order["riderId"] as? String == "r-1")
                #expect(order["paymentId"] == nil, "a rider sees no payment")
            }
            try await client.execute(uri: "/orders/\(orderId)", method: .get, headers: [.authorization: "Bearer \(stranger)"]) { response in
                #expect(response.status == .forbidden)
            }
        }
        #expect(world.orders.events.map(\.event.type) == [.orderPlaced, .orderAccepted, .cookingStarted, .cookingFinished, .deliveryPicked,
                                                          .deliveryCompleted, .orderCompleted])
    }

    /// The read models as the policies keep them, read through the API: the owner's board, the
    /// riders' board (cooked orders only, with the store to go to), my page, the inbox, the
    /// dashboards, the queue position.
    @Test func theViewsAreReadWithEachOrdersStatusNow() async throws {
        let world = World()
        let customer = try await Self.token("customer", "c-1")
        let owner = try await Self.token("owner", "u-1", store: "s-1")
        let rider = try await Self.token("rider", "r-1")
        try await withAPI(world) { client in
            let first = try await place(client, customer), second = try await place(client, customer)
            world.views.update { views in
                views.storeBoards["s-1"] = [second, first]
                views.myOrders["c-1"] = [second, first]
                views.riderBoards["gangnam"] = [first, second]
                views.inboxes["c-1"] = [#"{"orderId":"\#(first)","status":"placed","text":"주문이 접수되었습니다","at":1,"eventId":"1-0"}"#]
                views.dashboards[.foodOrders] = ["kimbap": 4, "cola": 2]
            }
            for step in ["accept", "start-cooking", "finish-cooking"] {
                _ = try await client.execute(uri: "/orders/\(first)/\(step)", method: .post, headers: [.authorization: "Bearer \(owner)"]) { $0.status }
            }
            for step in ["accept", "start-cooking"] {
                _ = try await client.execute(uri: "/orders/\(second)/\(step)", method: .post, headers: [.authorization: "Bearer \(owner)"]) { $0.status }
            }
            try await client.execute(uri: "/stores/s-1/orders", method: .get, headers: [.authorization: "Bearer \(owner)"]) { response in
                #expect(Self.list(response.body).map { $0["status"] as? String } == ["cooking", "cooked"])
            }
            try await client.execute(uri: "/deliveries?region=gangnam", method: .get, headers: [.authorization: "Bearer \(rider)"]) { response in
                let jobs = Self.list(response.body)
                #expect(jobs.map { $0["orderId"] as? String } == [first], "only cooked orders are offered")
                #expect(jobs.first?["storeName"] as? String == "김밥천국" && jobs.first?["customerId"] == nil)
            }
            try await client.execute(uri: "/customers/me/orders", method: .get, headers: [.authorization: "Bearer \(customer)"]) { response in
                #expect(Self.list(response.body).count == 2)
            }
            try await client.execute(uri: "/customers/me/notifications", method: .get, headers: [.authorization: "Bearer \(customer)"]) { response in
                #expect(Self.list(response.body).first?["status"] as? String == "placed")
            }
            try await client.execute(uri: "/dashboard/food-orders", method: .get, headers: [.authorization: "Bearer \(owner)"]) { response in
                #expect(Self.json(response.body)["kimbap"] as? Int == 4)
            }
            try await client.execute(uri: "/dashboard/food-orders", method: .get, headers: [.authorization: "Bearer \(customer)"]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/orders/\(second)", method: .get, headers: [.authorization: "Bearer \(customer)"]) { response in
                #expect(Self.json(response.body)["queuePosition"] as? Int == 1)
            }
        }
    }

    @Test func storesAndMenusAreTheirOwnersToChange() async throws {
        let world = World()
        let owner = try await Self.token("owner", "u-1", store: "s-1")
        let otherOwner = try await Self.token("owner", "u-2", store: "s-2")
        try await withAPI(world) { client in
            let menu = ByteBuffer(string: #"{"items":[{"foodId":"ramyeon","name":"라면","price":4000}]}"#)
            try await client.execute(uri: "/stores/s-1/menu", method: .put, headers: [.authorization: "Bearer \(otherOwner)"], body: menu) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/stores/s-1/menu", method: .put, headers: [.authorization: "Bearer \(owner)"], body: menu) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/stores/s-1/menu", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"storeId":"s-1","items":[{"foodId":"ramyeon","name":"라면","price":4000}]}"#)
            }
            let store = ByteBuffer(string: #"{"name":"새 가게","region":"mapo"}"#)
            try await client.execute(uri: "/stores/s-2", method: .put, headers: [.authorization: "Bearer \(otherOwner)"], body: store) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/stores", method: .get) { response in
                #expect(Self.list(response.body).compactMap { $0["storeId"] as? String } == ["s-1", "s-2"])
            }
        }
    }
}
