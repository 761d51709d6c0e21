import AsyncHTTPClient
import Backbone
import Daemon
import Dashboards
import Deliveries
import HTTPServer
import Hummingbird
import Identity
import Logging
import Metrics
import Notifications
import Operations
import Ordering
import Orders
import Payments
import Prometheus
import Redis
import Stores

/// Everything `baedal-api` runs on: the Redis pool, the gateway client and its circuit breaker,
/// the token authority, the health watcher, and the router with one controller per context.
public final class BaedalAPI: Sendable {
    public let settings: APISettings
    public let pool: RedisPool
    public let health: RedisHealth
    public let breaker: CircuitBreaker
    public let http: HTTPClient
    public let registry: PrometheusCollectorRegistry
    let authenticator: Authenticator
    let logger: Logger

    public init(settings: APISettings, registry: PrometheusCollectorRegistry, logger: Logger) async {
        self.settings = settings
        self.registry = registry
        self.logger = logger
        let redis = settings.environment.redis
        // A request's commands are quick: a primary that stops answering (frozen, cut off) costs a
        // request 3 s, not the 15 s a worker's blocking read needs.
        var requests = redis
        requests.readTimeoutMilliseconds = 3_000
        pool = RedisPool(configuration: requests, size: settings.redisConnections, logger: logger)
        health = RedisHealth(configuration: redis, logger: logger)
        let circuit = Gauge(label: "baedal_payment_circuit_state")
        circuit.record(0)
        breaker = CircuitBreaker(
            settings: .init(failureThreshold: settings.breakerFailures, openDuration: .milliseconds(settings.breakerOpenMilliseconds)),
            onChange: { [logger] state in
                circuit.record(state == .closed ? 0 : state == .halfOpen ? 1 : 2)
                logger.warning("payment circuit \(state.rawValue)")
            })
        http = PaymentGatewayClient.makeHTTPClient()
        authenticator = Authenticator(authority: await TokenAuthority(secret: settings.jwtSecret))
    }

    public func router() -> Router<BaedalContext> {
        let keys = settings.environment.keys
        let orders = OrderRepository(keys: keys, redis: pool, replication: settings.environment.replication)
        let catalog = StoreCatalog(keys: keys, redis: pool)
        let gateway = PaymentGatewayClient(
            settings: .init(baseURL: settings.paymentURL, timeout: .milliseconds(settings.paymentTimeoutMilliseconds)), http: http)
        let placeOrder = PlaceOrder(keys: keys, catalog: catalog, orders: orders, voids: PaymentVoids(keys: keys, redis: pool),
                                    gateway: gateway, breaker: breaker, logger: logger)
        let tracking = OrderTracking(orders: orders, queue: CookingQueue(keys: keys, redis: pool))

        let router = Router(context: BaedalContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable()
        router.add(middleware: HTTPMetrics())
        if settings.accessLog { router.add(middleware: AccessLog(logger: logger)) }
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: DomainErrors())
        router.add(middleware: AllowedMethods(table: routes))
        let breaker = self.breaker
        HealthController(health: health, registry: registry, details: { [("paymentCircuit", breaker.state.rawValue)] })
            .addRoutes(to: router)
        StoresController(catalog: catalog, orders: orders, board: StoreBoard(keys: keys, redis: pool), auth: authenticator).addRoutes(to: router)
        OrdersController(placeOrder: placeOrder, tracking: tracking, orders: orders, auth: authenticator).addRoutes(to: router)
        DeliveriesController(orders: orders, catalog: catalog, board: RiderBoard(keys: keys, redis: pool), auth: authenticator).addRoutes(to: router)
        CustomersController(orders: orders, myPage: MyPage(keys: keys, redis: pool), inbox: CustomerInbox(keys: keys, redis: pool),
                            auth: authenticator).addRoutes(to: router)
        DashboardController(dashboards: Dashboards(keys: keys, redis: pool), auth: authenticator).addRoutes(to: router)
        addConsole(to: router, keys: keys, orders: orders, redis: pool)
        routes.load(from: router)
        return router
    }

    /// The operator console: its page and files, and its JSON routes, under `/console`.
    func addConsole(to router: Router<BaedalContext>, keys: Keys, orders: OrderRepository, redis: any RedisExecutor) {
        // Domain errors become their answers inside the headers' middleware, so they carry the policy too.
        let console = router.group("console").add(middleware: ConsoleHeaders()).add(middleware: DomainErrors())
        ConsoleController().addRoutes(to: console)
        ConsoleAPIController(
            inspector: StreamInspector(keys: keys, redis: redis), deadLetters: DeadLetterStore(keys: keys, redis: redis),
            dashboards: Dashboards(keys: keys, redis: redis), flow: OrderFlow(keys: keys, redis: redis),
            autoscaler: AutoscalerReport(keys: keys, redis: redis), orders: orders,
            timeline: OrderTimeline(keys: keys, redis: redis), auth: authenticator
        ).addRoutes(to: console)
    }

    public func shutdown() async {
        pool.close()
        try? await http.shutdown()
    }
}
