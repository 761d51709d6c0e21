import Backbone
import Dashboards
import Hummingbird
import Notifications
import Orders

/// The customer's own pages: `GET /customers/me/orders` and `GET /customers/me/notifications`,
/// newest first.
struct CustomersController: Sendable {
    let orders: OrderRepository
    let keys: Keys
    let views: ViewKeys
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/customers/me/orders") { request, _ in try await myOrders(request) }
        router.get("/customers/me/notifications") { request, _ in try await myNotifications(request) }
    }

    func myOrders(_ request: Request) async throws -> Response {
        let customer = try await auth.actor(request, in: .customer)
        let ids = try await orders.pool.send(.init("LRANGE", views.customerOrders(customer.id), "0", "199"))
        let mine = try await orders.load((ids.array ?? []).compactMap(\.string))
            .sorted { ($0.placedAt, $0.id) > ($1.placedAt, $1.id) }
        return JSONBody.response(OrderView.list(mine))
    }

    func myNotifications(_ request: Request) async throws -> Response {
        let customer = try await auth.actor(request, in: .customer)
        let reply = try await orders.pool.send(.init("ZREVRANGE", Notification.inboxKey(keys, customer: customer.id), "0", "499"))
        var json = JSONWriter()
        json.array((reply.array ?? []).compactMap(\.string)) { json, message in json.raw(message) }
        return JSONBody.response(json.text)
    }
}

/// The two dashboards: units ordered per food (owners), deliveries per rider (owners and riders).
struct DashboardController: Sendable {
    let dashboards: DashboardKeys
    let orders: OrderRepository
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/dashboard/food-orders") { request, _ in
            _ = try await auth.actor(request, in: .owner)
            return try await counts(dashboards.foodOrders)
        }
        router.get("/dashboard/rider-deliveries") { request, _ in
            _ = try await auth.actor(request, in: .owner, .rider)
            return try await counts(dashboards.riderDeliveries)
        }
    }

    func counts(_ key: String) async throws -> Response {
        let values = try await orders.pool.send(.init("HGETALL", key)).array ?? []
        var pairs: [(String, Int)] = []
        var index = 0
        while index + 1 < values.count {
            if let name = values[index].string, let count = values[index + 1].int { pairs.append((name, count)) }
            index += 2
        }
        pairs.sort { $0.0 < $1.0 }
        return JSONBody.response(JSONWriter.object { json in
            for (name, count) in pairs { json.field(name, count) }
        })
    }
}
