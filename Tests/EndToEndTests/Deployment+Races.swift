import Foundation

extension Deployment {
    /// For each accepted order, the customer's cancel and the owner's start-cooking sent at the
    /// same time: (order id, cancel's status, start-cooking's status) of each, in no set order.
    func cancelRacingStartCooking(_ orderIds: [String], customer: String, owner: String) async throws -> [(String, Int, Int)] {
        try await withThrowingTaskGroup(of: (String, Int, Int).self) { group in
            for id in orderIds {
                group.addTask {
                    async let cancel = self.call("POST", "/orders/\(id)/cancel", token: customer)
                    async let cook = self.call("POST", "/orders/\(id)/start-cooking", token: owner)
                    return (id, try await cancel.status, try await cook.status)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
