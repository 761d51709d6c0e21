// swift-tools-version:6.0
import PackageDescription

let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdCore = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
let httpClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioHTTPTypes = Target.Dependency.product(name: "NIOHTTPTypes", package: "swift-nio-extras")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let jwtKit = Target.Dependency.product(name: "JWTKit", package: "jwt-kit")
let cryptoExtras = Target.Dependency.product(name: "CryptoExtras", package: "swift-crypto")

let package = Package(
    name: "Baedal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "baedal-api", targets: ["baedal-api"]),
        .executable(name: "baedal-payment", targets: ["baedal-payment"]),
        .executable(name: "baedal-worker", targets: ["baedal-worker"]),
        .executable(name: "baedalctl", targets: ["baedalctl"]),
        .executable(name: "baedal-autoscaler", targets: ["baedal-autoscaler"]),
        .executable(name: "baedal-bench", targets: ["baedal-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // MARK: Foundations: no food here.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        // A strict, allocation-light JSON reader and a compact writer.
        .target(name: "JSON"),
        // The Redis client: connection, replies, URL, pool, scripts, typed errors. Knows Redis, not food.
        .target(name: "Redis", dependencies: ["CHiredis", logging, metrics]),
        // The Redis client for request paths: pipelined connections on NIO's event loops, replies
        // parsed by hiredis's reader. Workers do not link it (no NIO in a lean process).
        .target(name: "RedisNIO", dependencies: ["Redis", "CHiredis", logging, metrics, nioCore, nioPosix]),
        // Process plumbing of every executable: settings, logging, sd_notify, Redis health, the command line and version.
        .target(name: "Daemon", dependencies: ["JSON", "Redis", logging, lifecycle, argumentParser]),
        // Events on streams: the contract (keys, envelope, ids), the consumer-group runtime and its
        // middleware, the atomic commit.
        .target(name: "Backbone", dependencies: ["JSON", "Redis", "Daemon", logging, metrics, lifecycle]),
        // The operator's tools over the backbone: stream inspection, dead letters, safe trimming.
        .target(name: "Operations", dependencies: ["Autoscaling", "Backbone", "JSON", "Redis"]),
        // A small Foundation-free HTTP/1.1 client and server (keeps workers lean).
        .target(name: "HTTPLite"),

        // MARK: Bounded contexts: each its domain (pure), its policy and its read models.
        .target(name: "Orders", dependencies: ["Backbone", "JSON", "Redis"]),
        .target(name: "Stores", dependencies: ["Backbone", "JSON", "Redis"]),
        .target(name: "Payments", dependencies: ["Backbone", "JSON", "Redis", "Orders", "PaymentGatewayAPI", "HTTPLite", logging]),
        // The payment gateway's API as both sides speak it (a payment and its JSON): no context of ours.
        .target(name: "PaymentGatewayAPI", dependencies: ["JSON"]),
        .target(name: "Deliveries", dependencies: ["Backbone", "JSON", "Redis"]),
        .target(name: "Notifications", dependencies: ["Backbone", "JSON", "Redis", "Orders", "HTTPLite", logging]),
        .target(name: "Dashboards", dependencies: ["Backbone", "JSON", "Redis"]),
        // Who is calling: HS256 bearer tokens, and an OpenID Connect provider's tokens against its key set.
        .target(name: "Identity", dependencies: ["JSON", jwtKit, logging, httpClient, nioCore]),

        // MARK: Application: the use cases the API runs.
        .target(name: "Ordering", dependencies: ["Orders", "Stores", "Payments", "PaymentGatewayAPI", "Dashboards", "Backbone", "JSON", "Redis", logging, metrics, crypto]),
        // MARK: Wiring: every policy daemon, named once.
        .target(name: "Policies", dependencies: ["Backbone", "Daemon", "Stores", "Payments", "Deliveries", "Notifications", "Dashboards", "HTTPLite", "Redis", logging]),

        // MARK: Autoscaling: the decision (pure) and the daemon that acts on it.
        // Instances from backlog over time; the view it publishes (`<prefix>:autoscaler`). No I/O.
        .target(name: "Autoscaling", dependencies: ["JSON"]),
        // The autoscaler's loop: backlogs through the inspector, the launchers (systemd, process), metrics.
        .target(name: "Autoscaler", dependencies: ["Autoscaling", "Backbone", "Daemon", "Operations", "Policies", "Redis", logging, metrics, lifecycle]),

        // MARK: Adapters.
        // Prometheus set-up and the workers' metrics endpoint.
        .target(name: "Observability", dependencies: ["Daemon", "HTTPLite", "Redis", logging, lifecycle, prometheus, metrics]),
        // What both HTTP services share: context, JSON bodies, errors, health, limits, the daemon.
        .target(name: "HTTPServer", dependencies: [
            "Backbone", "Daemon", "JSON", "Redis", "RedisNIO", hummingbird, hummingbirdCore, logging, metrics, lifecycle, prometheus, nioCore, nioPosix, nioHTTP1, nioHTTPTypes,
            httpTypes,
        ]),
        // The REST API: one controller per context, authentication, error mapping, the gateway client,
        // the operator console (its page embedded in the binary) and the OpenAPI document it serves.
        .target(name: "API", dependencies: [
            "HTTPServer", "Ordering", "Orders", "Stores", "Payments", "PaymentGatewayAPI", "Deliveries", "Notifications", "Dashboards", "Identity",
            "Operations", "Backbone", "Daemon", "JSON", "Redis", "RedisNIO", "HTTPLite", hummingbird, httpClient, logging, metrics, prometheus, nioCore, nioHTTP1,
            nioPosix, httpTypes,
        ], resources: [
            .embedInCode("Console/console.html"), .embedInCode("Console/console.css"), .embedInCode("Console/console.js"),
            .embedInCode("OpenAPI/openapi.json"),
        ]),
        // The payment gateway stand-in: a third party in real life, so it knows none of our contexts.
        .target(name: "PaymentGatewayStandIn", dependencies: ["HTTPServer", "PaymentGatewayAPI", "Backbone", "Daemon", "JSON", "Redis", hummingbird, logging, prometheus]),

        // MARK: Executables: thin mains.
        .executableTarget(name: "baedal-api", dependencies: ["API", "HTTPServer", "Daemon", "Observability", logging, argumentParser]),
        .executableTarget(name: "baedal-payment", dependencies: ["PaymentGatewayStandIn", "HTTPServer", "Daemon", "Observability", "Redis", "RedisNIO", logging, argumentParser]),
        .executableTarget(name: "baedal-worker", dependencies: ["Policies", "Backbone", "Daemon", "Observability", logging, lifecycle, argumentParser]),
        .executableTarget(name: "baedalctl", dependencies: [
            "Autoscaling", "Backbone", "Daemon", "Operations", "Policies", "Dashboards", "Stores", "Identity", "JSON", "Redis", argumentParser,
        ]),
        .executableTarget(name: "baedal-autoscaler", dependencies: [
            "Autoscaler", "Autoscaling", "Daemon", "Observability", "Policies", logging, lifecycle, argumentParser,
        ]),
        .executableTarget(name: "baedal-bench", dependencies: [
            "Autoscaling", "Backbone", "Daemon", "HTTPLite", "Redis", "Stores", "Dashboards", "Identity", argumentParser, crypto, cryptoExtras, logging,
        ]),

        // MARK: Tests.
        .target(name: "TestSupport", dependencies: ["HTTPLite", "Redis"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "IdentityTests", dependencies: ["Identity", jwtKit, crypto, cryptoExtras, logging]),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "TestSupport"]),
        .testTarget(name: "RedisNIOTests", dependencies: ["RedisNIO", "Redis", "TestSupport", nioCore, nioPosix]),
        .testTarget(name: "BackboneTests", dependencies: ["Backbone", "Daemon", "JSON", "Redis", "TestSupport", logging]),
        .testTarget(name: "OrdersTests", dependencies: ["Orders", "Backbone"]),
        .testTarget(name: "OperationsTests", dependencies: ["Operations", "Backbone", "Redis", "TestSupport"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling"]),
        .testTarget(name: "PoliciesTests", dependencies: [
            "Policies", "Stores", "Payments", "PaymentGatewayAPI", "Deliveries", "Notifications", "Dashboards", "Orders", "Backbone", "Redis", "TestSupport", logging,
        ]),
        .testTarget(name: "OrderingTests", dependencies: ["Ordering", "Orders", "Stores", "Payments", "PaymentGatewayAPI", "Backbone", "Redis", "TestSupport", logging]),
        .testTarget(name: "APITests", dependencies: [
            "API", "Backbone", "Redis", "Identity", "TestSupport", hummingbird, logging, prometheus,
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["Backbone", "Daemon", "Policies", "Redis", "Identity", "TestSupport", httpClient, crypto, cryptoExtras, nioCore]),
    ]
)
