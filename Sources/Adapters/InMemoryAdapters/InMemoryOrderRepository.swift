import Orders
import Synchronization

/// Orders in memory, with the repository's promises: a commit is refused when the order moved
/// on (`conflict`), a receipt's key wins once (`duplicate`), a voided order id is refused. The
/// events a commit announces are kept in order, for a test to read. For tests of the use cases
/// and of the HTTP layer in process.
public final class InMemoryOrderRepository: OrderRepository {
    private struct State {
        var orders: [String: Order] = [:]
        var receipts: [String: String] = [:]
        var voided: Set<String> = []
        var events: [(orderId: String, event: OrderEvent)] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Every event committed so far, in order.
    public var events: [(orderId: String, event: OrderEvent)] { state.withLock { $0.events } }

    /// Marks an order id's charge voided (what `payment-refund` does).
    public func markVoided(_ orderId: String) { _ = state.withLock { $0.voided.insert(orderId) } }

    public func load(_ orderId: String) async throws -> Order? { state.withLock { $0.orders[orderId] } }

    public func load(_ orderIds: [String]) async throws -> [Order] {
        state.withLock { state in orderIds.compactMap { state.orders[$0] } }
    }

    public func statuses(_ orderIds: [String]) async throws -> [OrderStatus?] {
        state.withLock { state in orderIds.map { state.orders[$0]?.status } }
    }

    public func exists(_ orderId: String) async throws -> Bool { state.withLock { $0.orders[orderId] != nil } }

    public func receipt(customer: String, idempotencyKey: String) async throws -> String? {
        state.withLock { $0.receipts[Self.receiptKey(customer, idempotencyKey)] }
    }

    public func commit(_ change: OrderChange, receipt: OrderReceipt?, unlessVoided: Bool) async throws -> OrderCommitOutcome {
        state.withLock { state in
            if let receipt, let first = state.receipts[Self.receiptKey(receipt.customer, receipt.idempotencyKey)] { return .duplicate(first) }
            if unlessVoided && state.voided.contains(change.order.id) { return .voided }
            guard (state.orders[change.order.id]?.version ?? 0) == change.order.version else { return .conflict }
            var stored = change.order
            stored.version += 1
            state.orders[stored.id] = stored
            state.events += change.events.map { (stored.id, $0) }
            if let receipt { state.receipts[Self.receiptKey(receipt.customer, receipt.idempotencyKey)] = receipt.record }
            return .committed(version: stored.version)
        }
    }

    private static func receiptKey(_ customer: String, _ key: String) -> String { "\(customer)\u{0}\(key)" }
}
