import Backbone
import Deliveries
import Hummingbird
import Orders
import Stores

/// The riders: `GET /deliveries?region=R`, `POST /deliveries/{id}/pick`, `POST /deliveries/{id}/deliver`.
/// Riders see a delivery, not a sale: where to pick it up and drop it off, the region and the
/// size of the order, never who the customer is or what they paid (`DeliveryView`).
struct DeliveriesController: Sendable {
    let orders: OrderRepository
    let catalog: StoreCatalog
    let keys: Keys
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/deliveries") { request, _ in try await waiting(request) }
        router.post("/deliveries/:orderId/pick") { request, context in try await execute(.pick, request, context) }
        router.post("/deliveries/:orderId/deliver") { request, context in try await execute(.deliver, request, context) }
    }

    /// Jobs of the region whose order is cooked and has no rider yet, oldest first.
    func waiting(_ request: Request) async throws -> Response {
        _ = try await auth.actor(request, in: .rider)
        guard let region = request.uri.queryParameters.get("region"), !region.isEmpty else {
            throw APIError.badRequest("the query parameter 'region' is required")
        }
        if let problem = Identifier.problem(region) { throw APIError.badRequest("region \(problem) (ids are \(Identifier.rule))") }
        let ids = try await orders.pool.send(.init("ZRANGE", DeliveryDispatch.boardKey(keys, region: region), "0", "199"))
        let waiting = try await orders.load((ids.array ?? []).compactMap(\.string)).filter { $0.status == .cooked }
        let stores = try await catalog.stores(Set(waiting.map(\.storeId)))
        var json = JSONWriter()
        json.array(waiting) { json, order in DeliveryView.write(order, store: stores[order.storeId], into: &json) }
        return JSONBody.response(json.text)
    }

    func execute(_ command: OrderCommand, _ request: Request, _ context: BaedalContext) async throws -> Response {
        let rider = try await auth.actor(request, in: .rider)
        let orderId = try context.parameters.id("orderId")
        let order = try await orders.execute(command, on: orderId, by: rider, now: epochMilliseconds)
        context.logger.info("delivery \(order.status.rawValue)", metadata: ["orderId": "\(orderId)", "riderId": "\(rider.id)"])
        var json = JSONWriter()
        DeliveryView.write(order, store: try await catalog.store(order.storeId), into: &json)
        return JSONBody.response(json.text)
    }
}

/// An order as a rider sees it: `{"orderId","status","storeId","storeName","pickupAddress",
/// "dropoffAddress","region","items":[{"foodId","qty"}],"units","riderId"?,"updatedAt"}`.
/// No customer id, no payment, no amount, no prices.
enum DeliveryView {
    static func write(_ order: Order, store: Store?, into json: inout JSONWriter) {
        json.object { json in
            json.field("orderId", order.id)
            json.field("status", order.status.rawValue)
            json.field("storeId", order.storeId)
            if let store {
                json.field("storeName", store.name)
                if let address = store.address { json.field("pickupAddress", address) }
            }
            json.field("dropoffAddress", order.address)
            json.field("region", order.region)
            json.key("items")
            json.array(order.items) { json, line in
                json.object { json in
                    json.field("foodId", line.foodId)
                    json.field("qty", line.qty)
                }
            }
            json.field("units", order.items.reduce(0) { $0 + $1.qty })
            if let riderId = order.riderId { json.field("riderId", riderId) }
            json.field("updatedAt", order.updatedAt)
        }
    }
}
