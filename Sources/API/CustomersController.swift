import Backbone
import Dashboards
import HTTPServer
import Hummingbird
import JSON
import Notifications
import Orders

/// The customer's own pages: `GET /customers/me/orders` and `GET /customers/me/notifications`,
/// newest first.
struct CustomersController: Sendable {
    let orders: OrderRepository
    let myPage: MyPage
    let inbox: CustomerInbox
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/customers/me/orders") { request, _ in try await myOrders(request) }
        router.get("/customers/me/notifications") { request, _ in try await myNotifications(request) }
    }

    func myOrders(_ request: Request) async throws -> Response {
        let customer = try await auth.actor(request, in: .customer)
        let mine = try await orders.load(try await myPage.orderIds(customer: customer.id))
            .sorted { ($0.placedAt, $0.id) > ($1.placedAt, $1.id) }
        return JSONBody.response(OrderView.list(mine))
    }

    func myNotifications(_ request: Request) async throws -> Response {
        let customer = try await auth.actor(request, in: .customer)
        var json = JSONWriter()
        json.array(try await inbox.messages(customer: customer.id)) { json, message in json.raw(message) }
        return JSONBody.response(json.text)
    }
}
