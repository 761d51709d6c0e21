import AsyncHTTPClient
import Backbone
import Dashboards
import Hummingbird
import Identity
import Logging
import Metrics
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
        pool = RedisPool(configuration: redis, size: settings.redisConnections, logger: logger)
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
        let orders = OrderRepository(keys: keys, pool: pool)
        let catalog = StoreCatalog(keys: keys, pool: pool)
        let gateway = PaymentGatewayClient(
            settings: .init(baseURL: settings.paymentURL, timeout: .milliseconds(settings.paymentTimeoutMilliseconds)), http: http)
        let checkout = Checkout(keys: keys, catalog: catalog, orders: orders, gateway: gateway, breaker: breaker, pool: pool, logger: logger)
        let views = ViewKeys(keys)

        let router = Router(context: BaedalContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable()
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AllowedMethods(table: routes))
        let breaker = self.breaker
        HealthController(health: health, registry: registry, details: { [("paymentCircuit", breaker.state.rawValue)] })
            .addRoutes(to: router)
        StoresController(catalog: catalog, orders: orders, keys: keys, auth: authenticator).addRoutes(to: router)
        OrdersController(checkout: checkout, orders: orders, views: views, auth: authenticator).addRoutes(to: router)
        DeliveriesController(orders: orders, catalog: catalog, keys: keys, auth: authenticator).addRoutes(to: router)
        CustomersController(orders: orders, keys: keys, views: views, auth: authenticator).addRoutes(to: router)
        DashboardController(dashboards: DashboardKeys(keys), orders: orders, auth: authenticator).addRoutes(to: router)
        routes.load(from: router)
        return router
    }

    public func shutdown() async {
        pool.close()
        try? await http.shutdown()
    }
}
