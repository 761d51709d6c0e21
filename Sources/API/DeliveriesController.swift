import Backbone
import Deliveries
import Hummingbird
import Orders

/// The riders: `GET /deliveries?region=R`, `POST /deliveries/{id}/pick`, `POST /deliveries/{id}/deliver`.
struct DeliveriesController: Sendable {
    let orders: OrderRepository
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
        let ids = try await orders.pool.send(.init("ZRANGE", DeliveryDispatch.boardKey(keys, region: region), "0", "199"))
        let waiting = try await orders.load((ids.array ?? []).compactMap(\.string)).filter { $0.status == .cooked }
        return JSONBody.response(OrderView.list(waiting))
    }

    func execute(_ command: OrderCommand, _ request: Request, _ context: BaedalContext) async throws -> Response {
        let rider = try await auth.actor(request, in: .rider)
        let orderId = try context.parameters.require("orderId")
        let order = try await orders.execute(command, on: orderId, by: rider, now: epochMilliseconds)
        context.logger.info("delivery \(order.status.rawValue)", metadata: ["orderId": "\(orderId)", "riderId": "\(rider.id)"])
        return JSONBody.response(OrderView.json(order))
    }
}
