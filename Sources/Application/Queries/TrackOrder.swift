import Contract
import Orders

/// "Where is my order": an order as its reader may see it, while it is being cooked its place in
/// the store's queue (1 = next), and while it is live when it should arrive
/// (`Order.estimatedDeliveryAt`, from the store's and region's recent stage durations).
public struct TrackOrder: Sendable {
    let orders: any OrderRepository
    let views: any Views
    let now: EpochClock

    public init(orders: any OrderRepository, views: any Views, now: @escaping EpochClock = epochMilliseconds) {
        self.orders = orders
        self.views = views
        self.now = now
    }

    /// What a reader of an order sees.
    public struct Tracked: Sendable {
        public var order: Order
        public var queuePosition: Int?
        /// ms since the epoch; nil once the order is over.
        public var estimatedDeliveryAt: Int64?
    }

    /// The order, if `actor` may read it (its customer, its store's owner, the rider who has it).
    public func callAsFunction(_ orderId: String, for actor: Actor) async throws -> Tracked {
        guard let order = try await orders.load(orderId) else { throw OrderError.orderNotFound(orderId) }
        guard order.isVisible(to: actor) else { throw OrderError.notYourOrder }
        let position = order.status == .cooking ? try await queuePosition(of: order) : nil
        let estimate = order.stagesAhead == nil ? nil
            : order.estimatedDeliveryAt(StageTimes(recent: try await views.stageTimings(of: order)), now: now())
        return Tracked(order: order, queuePosition: position, estimatedDeliveryAt: estimate)
    }

    /// Its place among the store's cooking orders by start time (1 = next). The queue is the
    /// projector's; an order it has not caught up with yet is placed by its own start time, and
    /// entries the projector has not removed yet are skipped by their status.
    public func queuePosition(of order: Order) async throws -> Int {
        let mine = (id: order.id, startedAt: order.cookingStartedAt ?? order.updatedAt)
        let ahead = try await views.cookingQueue(order.storeId).filter { entry in
            entry.orderId != order.id
                && (entry.startedAt < mine.startedAt || (entry.startedAt == mine.startedAt && entry.orderId < mine.id))
        }
        guard !ahead.isEmpty else { return 1 }
        return 1 + (try await orders.statuses(ahead.map(\.orderId))).filter { $0 == .cooking }.count
    }
}

/// An order as stored, whoever's it is: for an operator (the console), never for a party to it.
public struct LookUpOrder: Sendable {
    let orders: any OrderRepository
    public init(orders: any OrderRepository) { self.orders = orders }
    public func callAsFunction(_ orderId: String) async throws -> Order? { try await orders.load(orderId) }
}
