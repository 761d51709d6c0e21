import Foundation
import TestSupport

/// What the console's tests do to a deployment: an order taken as far as a rider, an operator's
/// token, the console's JSON.
extension Deployment {
    func `operator`(_ id: String = "ops-1") async throws -> String { try await token("operator", id) }

    /// Places an order at the chicken store and takes it through the kitchen to a rider: the
    /// order's events are then PaymentApproved, OrderPlaced, OrderAccepted, CookingStarted,
    /// CookingFinished, DeliveryOpened, DeliveryPicked (DeliveryOpened is delivery-dispatch's).
    func pickedOrder(_ customer: String, items: [(String, Int)], rider: String) async throws -> String {
        let owner = try await owner(of: "s-gangnam-chicken")
        let orderId = try await placed(customer, items: items)
        for step in ["accept", "start-cooking", "finish-cooking"] {
            let reply = try await call("POST", "/orders/\(orderId)/\(step)", token: owner)
            guard reply.status == 200 else { throw TestFailure("\(step) answered \(reply.status): \(reply.body)") }
        }
        let opened = await eventually(seconds: 20) { (try? self.eventTypes("delivery", orderId: orderId).contains("DeliveryOpened")) == true }
        guard opened else { throw TestFailure("no DeliveryOpened for \(orderId)\n\(logs)") }
        let pick = try await call("POST", "/deliveries/\(orderId)/pick", token: rider)
        guard pick.status == 200 else { throw TestFailure("pick answered \(pick.status): \(pick.body)") }
        return orderId
    }

    static let pickedTimeline = ["PaymentApproved", "OrderPlaced", "OrderAccepted", "CookingStarted", "CookingFinished", "DeliveryOpened", "DeliveryPicked"]

    /// `GET /console/api/<path>` with a token; the JSON object.
    func console(_ path: String, token: String) async throws -> [String: Any] {
        let reply = try await call("GET", "/console/api/\(path)", token: token)
        guard reply.status == 200 else { throw TestFailure("GET /console/api/\(path) answered \(reply.status): \(reply.body)") }
        return reply.object
    }
}
