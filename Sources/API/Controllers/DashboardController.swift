import Application
import Contract
import HTTPServer
import Hummingbird
import JSON

/// The two dashboards: units ordered per food (owners), deliveries per rider (owners and riders);
/// operators see both.
struct DashboardController: Sendable {
    let baedal: Baedal
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

    func counts(_ board: Keys.Dashboard) async throws -> Response {
        let counts = try await baedal.queries.dashboard(board)
        return JSONBody.response(JSONWriter.object { json in
            for (name, count) in counts { json.field(name, count) }
        })
    }
}
