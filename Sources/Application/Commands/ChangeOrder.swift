import Contract
import Orders

/// Every command on an existing order (cancel, confirm, accept, reject, start and finish
/// cooking, pick, deliver): the order read, decided by the domain (`Order.decide`) and committed
/// with its event, again on a conflict (`OrderRepository.execute`).
public struct ChangeOrder: Sendable {
    public let command: OrderCommand
    let orders: any OrderRepository
    let now: EpochClock

    public init(_ command: OrderCommand, orders: any OrderRepository, now: @escaping EpochClock = epochMilliseconds) {
        self.command = command
        self.orders = orders
        self.now = now
    }

    /// The order as the command left it.
    public func callAsFunction(_ orderId: String, by actor: Actor, reason: String = "") async throws -> Order {
        try await orders.execute(command, on: orderId, by: actor, reason: reason, now: now)
    }
}
