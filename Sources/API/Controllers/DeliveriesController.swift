import Application
import Contract
import HTTPServer
import Hummingbird
import JSON
import Orders

/// The riders: `GET /deliveries?region=R`, `POST /deliveries/{id}/pick`, `POST /deliveries/{id}/deliver`.
/// Riders see a delivery, not a sale: where to pick it up and drop it off, the region and the
/// size of the order, never who the customer is or what they paid (`DeliveryView`).
struct DeliveriesController: Sendable {
    let baedal: Baedal
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
        var json = JSONWriter()
        json.array(try await baedal.queries.waitingDeliveries(region: region)) { json, job in DeliveryView.write(job.order, store: job.store, into: &json) }
        return JSONBody.response(json.text)
    }

    func execute(_ command: OrderCommand, _ request: Request, _ context: BaedalContext) async throws -> Response {
        let rider = try await auth.actor(request, in: .rider)
        let orderId = try context.parameters.id("orderId")
        let order = try await baedal.commands.change(command)(orderId, by: rider)
        context.logger.info("delivery \(order.status.rawValue)", metadata: ["orderId": "\(orderId)", "riderId": "\(rider.id)"])
        var json = JSONWriter()
        DeliveryView.write(order, store: try await baedal.queries.pickupStore(of: order), into: &json)
        return JSONBody.response(json.text)
    }
}
