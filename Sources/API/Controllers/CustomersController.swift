import Application
import HTTPServer
import Hummingbird
import JSON

/// The customer's own pages: `GET /customers/me/orders` and `GET /customers/me/notifications`,
/// newest first.
struct CustomersController: Sendable {
    let baedal: Baedal
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/customers/me/orders") { request, _ in
            JSONBody.response(OrderView.list(try await baedal.queries.myOrders(try await auth.actor(request, in: .customer))))
        }
        router.get("/customers/me/notifications") { request, _ in
            var json = JSONWriter()
            json.array(try await baedal.queries.myNotifications(try await auth.actor(request, in: .customer))) { json, message in json.raw(message) }
            return JSONBody.response(json.text)
        }
    }
}
