import Foundation
import Testing
import TestSupport

extension Deployment {
    /// One order of a seasoned chicken and two colas from placing to completed, through every
    /// board on the way, with its seven notifications, my page and both dashboards.
    /// `earlier`: lives already counted on the dashboards. Returns the order's id.
    @discardableResult
    func wholeLife(customer customerId: String, rider riderId: String, earlier: Int = 0) async throws -> String {
        let customer = try await self.customer(customerId)
        let owner = try await self.owner(of: "s-gangnam-chicken")
        let rider = try await self.rider(riderId)
        let orderId = try await placed(customer, items: [("seasoned-chicken", 1), ("cola", 2)])
        #expect(await eventually(seconds: 10) {
            (try? await call("GET", "/stores/s-gangnam-chicken/orders", token: owner))?.array.contains { $0["orderId"] as? String == orderId } == true
        }, "\(logs)")
        for step in ["accept", "start-cooking", "finish-cooking"] {
            #expect(try await call("POST", "/orders/\(orderId)/\(step)", token: owner).status == 200)
        }
        #expect(await eventually(seconds: 10) {
            (try? await call("GET", "/deliveries?region=gangnam", token: rider))?.array.contains { $0["orderId"] as? String == orderId } == true
        }, "\(logs)")
        #expect(try await call("POST", "/deliveries/\(orderId)/pick", token: rider).status == 200)
        #expect(try await call("POST", "/deliveries/\(orderId)/deliver", token: rider).status == 200)
        #expect(try await call("POST", "/orders/\(orderId)/confirm", token: customer).status == 200)
        #expect(try await status(of: orderId, customer) == "completed")
        let expected = ["completed", "delivered", "picked", "cooked", "cooking", "accepted", "placed"]
        #expect(await eventually(seconds: 10) {
            let inbox = try? await call("GET", "/customers/me/notifications", token: customer)
            return inbox?.array.compactMap { $0["status"] as? String } == expected
        }, "\(logs)")
        #expect(await eventually(seconds: 10) {
            (try? await call("GET", "/customers/me/orders", token: customer))?.array.first?["status"] as? String == "completed"
        }, "\(logs)")
        #expect(await eventually(seconds: 10) {
            let food = try? await call("GET", "/dashboard/food-orders", token: owner).object
            let ridden = try? await call("GET", "/dashboard/rider-deliveries", token: rider).object
            return food?["seasoned-chicken"] as? Int == earlier + 1 && food?["cola"] as? Int == 2 * (earlier + 1) && ridden?[riderId] as? Int == 1
        }, "\(logs)")
        return orderId
    }

}
