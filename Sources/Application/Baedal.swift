import Contract
import Logging
import Orders
import Payments
import Stores

/// Every command and query of the platform, in one place (the way wild-workouts' `app.go`
/// lists its use cases): what the API may ask, each a small type that takes domain values and
/// returns domain results, over the ports the domain owns (`OrderRepository`, `StoreCatalog`,
/// `Views`, `PaymentCharging`, `PaymentVoids`). Controllers only parse, authorise and format;
/// `RedisAdapters` and `InMemoryAdapters` implement the ports.
public struct Baedal: Sendable {
    public struct Commands: Sendable {
        /// A customer's order: priced, charged, committed with its `OrderPlaced`.
        public let placeOrder: PlaceOrder
        /// The customer's: while `placed` or `accepted`; and after `delivered`.
        public let cancelOrder, confirmOrder: ChangeOrder
        /// The store's owner's.
        public let acceptOrder, rejectOrder, startCooking, finishCooking: ChangeOrder
        /// A rider's: the first pick wins; the rider who picked it delivers.
        public let pickDelivery, completeDelivery: ChangeOrder
        /// The store's owner's.
        public let saveStore: SaveStore
        public let replaceMenu: ReplaceMenu

        /// The use case of an order command.
        public func change(_ command: OrderCommand) -> ChangeOrder {
            switch command {
            case .cancel: cancelOrder
            case .confirm: confirmOrder
            case .accept: acceptOrder
            case .reject: rejectOrder
            case .startCooking: startCooking
            case .finishCooking: finishCooking
            case .pick: pickDelivery
            case .deliver: completeDelivery
            }
        }
    }

    public struct Queries: Sendable {
        public let stores: ListStores
        public let menu: ShowMenu
        /// An order as its reader may see it, with its place in the cooking queue.
        public let order: TrackOrder
        public let myOrders: MyOrders
        public let myNotifications: MyNotifications
        /// The owner's board.
        public let storeOrders: StoreOrders
        /// The riders' board of a region, and the store of a delivery.
        public let waitingDeliveries: WaitingDeliveries
        public let pickupStore: PickupStore
        public let dashboard: ShowDashboard
        public let ordersPerMinute: OrdersPerMinute
        /// Any order as stored, for an operator.
        public let lookUpOrder: LookUpOrder
    }

    public let commands: Commands
    public let queries: Queries

    public init(orders: any OrderRepository, stores: any StoreCatalog, views: any Views, gateway: any PaymentCharging,
                voids: any PaymentVoids, breaker: CircuitBreaker, logger: Logger, now: @escaping EpochClock = epochMilliseconds) {
        func change(_ command: OrderCommand) -> ChangeOrder { ChangeOrder(command, orders: orders, now: now) }
        commands = Commands(
            placeOrder: PlaceOrder(catalog: stores, orders: orders, voids: voids, gateway: gateway, breaker: breaker, logger: logger, now: now),
            cancelOrder: change(.cancel), confirmOrder: change(.confirm),
            acceptOrder: change(.accept), rejectOrder: change(.reject), startCooking: change(.startCooking), finishCooking: change(.finishCooking),
            pickDelivery: change(.pick), completeDelivery: change(.deliver),
            saveStore: SaveStore(catalog: stores), replaceMenu: ReplaceMenu(catalog: stores))
        queries = Queries(
            stores: ListStores(catalog: stores), menu: ShowMenu(catalog: stores), order: TrackOrder(orders: orders, views: views),
            myOrders: MyOrders(orders: orders, views: views), myNotifications: MyNotifications(views: views),
            storeOrders: StoreOrders(orders: orders, views: views),
            waitingDeliveries: WaitingDeliveries(orders: orders, catalog: stores, views: views), pickupStore: PickupStore(catalog: stores),
            dashboard: ShowDashboard(views: views), ordersPerMinute: OrdersPerMinute(views: views), lookUpOrder: LookUpOrder(orders: orders))
    }
}
