import Backbone
import Deliveries
import HTTPServer
import Hummingbird
import JSON
import Orders
import Stores

/// The riders: `GET /deliveries?region=R`, `POST /deliveries/{id}/pick`, `POST /deliveries/{id}/deliver`.
/// Riders see a delivery, not a sale: where to pick it up and drop it off, the region and the
/// size of the order, never who the customer is or what they paid (`DeliveryView`).
struct DeliveriesController: Sendable {
    let orders: OrderRepository
    let catalog: StoreCatalog
    let board: RiderBoard
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
        if let problem = Identifier.problem(region) { throw APIError.badRequest("region \(problem)") }
        let waiting = try await orders.load(try await board.orderIds(region: region)).filter { $0.status == .cooked }
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
