import AsyncHTTPClient
import HTTPLite
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
import RedisNIO
import Stores

#if canImport(Glibc)
import Glibc
#endif

/// Everything `baedal-api` runs on: the Redis client (pipelined, on the event loops), the gateway
/// client and its circuit breaker, the token authority, the health watcher, and the router with
/// one controller per context.
public final class BaedalAPI: Sendable {
    public let settings: APISettings
    public let redis: NIORedisClient
    public let health: RedisHealth
    public let breaker: CircuitBreaker
    public let http: HTTPClient
    let transport: PaymentGatewayClient.Transport
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
        self.redis = NIORedisClient(configuration: requests, logger: logger)
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
        switch getenv("BAEDAL_GATEWAY_CLIENT").map({ String(cString: $0) }) {
        case "async": transport = .asyncHTTPClient(http)
        case "ahc-loop": transport = .asyncHTTPClientOnLoop(http)
        default:
            let (host, port, _) = HTTPLite.split(settings.paymentURL)!
            transport = .loop(LoopHTTPClient(host: host, port: port, connectTimeout: .milliseconds(500)))
        }
        authenticator = await Authenticator.starting(settings.identity, logger: logger)
    }

    public func router() -> Router<BaedalContext> {
        let keys = settings.environment.keys
        let redis = self.redis
        let orders = OrderRepository(keys: keys, redis: redis, replication: settings.environment.replication)
        let catalog = StoreCatalog(keys: keys, redis: redis)
        let gateway = PaymentGatewayClient(
            settings: .init(baseURL: settings.paymentURL, timeout: .milliseconds(settings.paymentTimeoutMilliseconds)), transport: transport)
        let placeOrder = PlaceOrder(keys: keys, catalog: catalog, orders: orders, voids: PaymentVoids(keys: keys, redis: redis),
                                    gateway: gateway, breaker: breaker, logger: logger)
        let tracking = OrderTracking(orders: orders, queue: CookingQueue(keys: keys, redis: redis))

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
        StoresController(catalog: catalog, orders: orders, board: StoreBoard(keys: keys, redis: redis), auth: authenticator).addRoutes(to: router)
        OrdersController(placeOrder: placeOrder, tracking: tracking, orders: orders, auth: authenticator).addRoutes(to: router)
        DeliveriesController(orders: orders, catalog: catalog, board: RiderBoard(keys: keys, redis: redis), auth: authenticator).addRoutes(to: router)
        CustomersController(orders: orders, myPage: MyPage(keys: keys, redis: redis), inbox: CustomerInbox(keys: keys, redis: redis),
                            auth: authenticator).addRoutes(to: router)
        DashboardController(dashboards: Dashboards(keys: keys, redis: redis), auth: authenticator).addRoutes(to: router)
        addConsole(to: router, keys: keys, orders: orders, redis: redis)
        OpenAPIController().addRoutes(to: router)
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
        redis.close()
        try? await http.shutdown()
    }
}
