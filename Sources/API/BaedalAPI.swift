import Application
import Contract
import Daemon
import GatewayClient
import HTTPServer
import Hummingbird
import Identity
import Logging
import Metrics
import Operations
import Orders
import Prometheus
import Redis
import RedisAdapters
import RedisNIO

/// Everything `baedal-api` runs on: the Redis client (pipelined, on the event loops), the
/// application over its Redis adapters and the gateway client behind its circuit breaker, the
/// token authority, the health watcher; and the router (`APIRouter`).
public final class BaedalAPI: Sendable {
    public let settings: APISettings
    public let redis: any ClosableRedisExecutor
    public let health: RedisHealth
    public let breaker: CircuitBreaker
    public let registry: PrometheusCollectorRegistry
    public let baedal: Baedal
    let authenticator: Authenticator
    let logger: Logger

    public init(settings: APISettings, registry: PrometheusCollectorRegistry, logger: Logger) async {
        self.settings = settings
        self.registry = registry
        self.logger = logger
        let configuration = settings.environment.redis
        // A request's commands are quick: a primary that stops answering (frozen, cut off) costs a
        // request 3 s, not the 15 s a worker's blocking read needs.
        var requests = configuration
        requests.readTimeoutMilliseconds = 3_000
        let redis = NIORedisClient.executor(for: requests, logger: logger)
        self.redis = redis
        health = RedisHealth(configuration: configuration, logger: logger)
        let circuit = Gauge(label: "baedal_payment_circuit_state")
        circuit.record(0)
        let breaker = CircuitBreaker(
            settings: .init(failureThreshold: settings.breakerFailures, openDuration: .milliseconds(settings.breakerOpenMilliseconds)),
            onChange: { [logger] state in
                circuit.record(state == .closed ? 0 : state == .halfOpen ? 1 : 2)
                logger.warning("payment circuit \(state.rawValue)")
            })
        self.breaker = breaker
        let keySpace = settings.environment.keySpace
        let gateway = PaymentGatewayClient(settings: .init(baseURL: settings.paymentURL, timeout: .milliseconds(settings.paymentTimeoutMilliseconds)))
        baedal = Baedal(
            orders: RedisOrderRepository(keySpace: keySpace, redis: redis, replication: settings.environment.replication,
                                         timeouts: OrderTimeouts(acceptSeconds: settings.environment.acceptTimeoutSeconds,
                                                                 pickupSeconds: settings.environment.pickupTimeoutSeconds)),
            stores: RedisStoreCatalog(keys: keySpace.shared, redis: redis), views: RedisViews(keySpace: keySpace, redis: redis),
            gateway: gateway, voids: RedisPaymentVoids(keySpace: keySpace, redis: redis), breaker: breaker, logger: logger)
        authenticator = await Authenticator.starting(settings.identity, logger: logger)
    }

    public func router() -> Router<BaedalContext> {
        let breaker = self.breaker
        return APIRouter.build(
            baedal: baedal, auth: authenticator, accessLog: settings.accessLog ? logger : nil,
            health: HealthController(health: health, registry: registry, details: { [("paymentCircuit", breaker.state.rawValue)] }),
            console: ConsoleAPIController(baedal: baedal, keySpace: settings.environment.keySpace, redis: redis, auth: authenticator,
                                          timeouts: OrderTimeouts(acceptSeconds: settings.environment.acceptTimeoutSeconds,
                                                                  pickupSeconds: settings.environment.pickupTimeoutSeconds),
                                          traceURL: settings.traceURL))
    }

    public func shutdown() async {
        redis.close()
    }
}

/// The API's router, built from what it serves (the Hummingbird examples' `buildRouter`): the
/// middleware, then one controller per context over the `Baedal` use cases; health and metrics, and
/// the operator console, when given. Tests build it over in-memory adapters and call it in
/// process (`app.test(.router)`).
public enum APIRouter {
    public static func build(baedal: Baedal, auth: Authenticator, accessLog: Logger? = nil, health: HealthController? = nil,
                             console: ConsoleAPIController? = nil) -> Router<BaedalContext> {
        let router = Router(context: BaedalContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable()
        RequestTracing.add(to: router)
        router.add(middleware: HTTPMetrics())
        if let accessLog { router.add(middleware: AccessLog(logger: accessLog)) }
        router.add(middleware: ConsoleHeaders())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: DomainErrors())
        router.add(middleware: AllowedMethods(table: routes))
        health?.addRoutes(to: router)
        StoresController(baedal: baedal, auth: auth).addRoutes(to: router)
        OrdersController(baedal: baedal, auth: auth).addRoutes(to: router)
        DeliveriesController(baedal: baedal, auth: auth).addRoutes(to: router)
        CustomersController(baedal: baedal, auth: auth).addRoutes(to: router)
        DashboardController(baedal: baedal, auth: auth).addRoutes(to: router)
        let group = router.group("console")
        ConsoleController().addRoutes(to: group)
        console?.addRoutes(to: group)
        OpenAPIController().addRoutes(to: router)
        routes.load(from: router)
        return router
    }
}
