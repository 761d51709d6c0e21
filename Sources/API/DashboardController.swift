import Backbone
import Dashboards
import HTTPServer
import Hummingbird
import JSON
import Notifications
import Orders

/// The two dashboards: units ordered per food (owners), deliveries per rider (owners and riders);
/// operators see both.
struct DashboardController: Sendable {
    let dashboards: Dashboards
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/dashboard/food-orders") { request, _ in
            _ = try await auth.actor(request, in: .owner, .operator)
            return try await counts(.foodOrders)
        }
        router.get("/dashboard/rider-deliveries") { request, _ in
            _ = try await auth.actor(request, in: .owner, .rider, .operator)
            return try await counts(.riderDeliveries)
        }
    }

    func counts(_ board: Dashboards.Board) async throws -> Response {
        let counts = try await dashboards.counts(board)
        return JSONBody.response(JSONWriter.object { json in
            for (name, count) in counts { json.field(name, count) }
        })
    }
}
