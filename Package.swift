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
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let nioTLS = Target.Dependency.product(name: "NIOTLS", package: "swift-nio")
let nioHTTPTypes = Target.Dependency.product(name: "NIOHTTPTypes", package: "swift-nio-extras")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let jwtKit = Target.Dependency.product(name: "JWTKit", package: "jwt-kit")
let cryptoExtras = Target.Dependency.product(name: "CryptoExtras", package: "swift-crypto")
let tracing = Target.Dependency.product(name: "Tracing", package: "swift-distributed-tracing")

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
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    ],
    targets: [
        // MARK: Foundations: no food here.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        // OpenSSL for the blocking hiredis connection's TLS (Debian's hiredis 0.14 has none).
        .systemLibrary(name: "CRedisTLS", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // A strict, allocation-light JSON reader and a compact writer.
        .target(name: "JSON"),
        // Numbers and times from outside (Redis, streams, tokens): accepted ranges, arithmetic that clamps instead of trapping.
        .target(name: "Numbers"),
        // The Redis client: connection, replies, URL, pool, scripts, typed errors. Knows Redis, not food.
        .target(name: "Redis", dependencies: ["CHiredis", "CRedisTLS", "Numbers", logging, metrics]),
        // The Redis client for request paths: pipelined connections on NIO's event loops, replies
        // parsed by hiredis's reader. Workers do not link it (no NIO in a lean process).
        .target(name: "RedisNIO", dependencies: ["Redis", "CHiredis", logging, metrics, nioCore, nioPosix, nioSSL, nioTLS]),
        // Process plumbing of every executable: settings, logging, sd_notify, Redis health, the command line and version.
        .target(name: "Daemon", dependencies: ["Contract", "JSON", "Redis", "Telemetry", logging, lifecycle, argumentParser, metrics]),
        // A small Foundation-free HTTP/1.1 client and server (keeps workers lean).
        .target(name: "HTTPLite"),
        // Traces: W3C trace context, a swift-distributed-tracing tracer, and its batching OTLP/HTTP
        // exporter over HTTPLite (no NIO in a worker), set up from the standard OTEL_* variables.
        .target(name: "Telemetry", dependencies: ["HTTPLite", logging, metrics, lifecycle, tracing]),

        // MARK: Model: the domain, pure. No I/O in these targets' dependency graph (a test holds it).
        // The event contract: envelope, streams, the catalogue of event types, the one shape of an
        // event's data, ids, every key, the writes a policy may ask for, dead letters.
        .target(name: "Contract", dependencies: ["JSON", "Numbers"], path: "Sources/Model/Contract"),
        // The order aggregate and every decision about it; its repository's port.
        .target(name: "Orders", dependencies: ["Contract", "JSON", "Numbers"], path: "Sources/Model/Orders"),
        // Stores and menus; the store-inbox policy.
        .target(name: "Stores", dependencies: ["Contract", "JSON", "Orders", logging], path: "Sources/Model/Stores"),
        // The gateway's ports, voids, and the payment-refund policy.
        .target(name: "Payments", dependencies: ["Contract", "Numbers", "Orders", "PaymentGatewayAPI", logging], path: "Sources/Model/Payments"),
        // The delivery-dispatch policy.
        .target(name: "Deliveries", dependencies: ["Contract", "Orders"], path: "Sources/Model/Deliveries"),
        // The notification policy and the webhook's port.
        .target(name: "Notifications", dependencies: ["Contract", "JSON", "Numbers", "Orders", logging], path: "Sources/Model/Notifications"),
        // The projector: dashboards, my page, cooking queues, orders per minute.
        .target(name: "Dashboards", dependencies: ["Contract"], path: "Sources/Model/Dashboards"),
        // The payment gateway's API as both sides speak it (a payment and its JSON): no context of ours.
        .target(name: "PaymentGatewayAPI", dependencies: ["JSON"]),

        // MARK: Application: every command and query of the platform, over the model's ports.
        .target(name: "Application", dependencies: [
            "Contract", "Orders", "Stores", "Payments", "PaymentGatewayAPI", "JSON", logging, metrics, crypto,
        ]),

        // MARK: The backbone: the atomic commit and the consumer-group runtime (Redis).
        .target(name: "Backbone", dependencies: ["Contract", "JSON", "Numbers", "Redis", logging, metrics, lifecycle, tracing]),

        // MARK: Adapters: the ports in Redis, in memory, and the API's gateway client.
        .target(name: "RedisAdapters", dependencies: [
            "Application", "Backbone", "Contract", "JSON", "Numbers", "Orders", "Payments", "Redis", "Stores",
        ], path: "Sources/Adapters/RedisAdapters"),
        .target(name: "InMemoryAdapters", dependencies: ["Application", "Contract", "Orders", "Payments", "PaymentGatewayAPI", "Stores"],
                path: "Sources/Adapters/InMemoryAdapters"),
        // The API's client of the payment gateway: a keep-alive pool per event loop.
        .target(name: "GatewayClient", dependencies: [
            "Payments", "PaymentGatewayAPI", "JSON", "HTTPLite", "RedisNIO", "Telemetry", nioCore, nioPosix, nioHTTP1,
        ], path: "Sources/Adapters/GatewayClient"),

        // MARK: Operations: the operator's tools over the backbone: streams, dead letters, trimming, timelines.
        .target(name: "Operations", dependencies: ["Autoscaling", "Backbone", "Contract", "Dashboards", "JSON", "Numbers", "Redis"]),
        // Who is calling: bearer tokens, HS256 with the secret or an OpenID Connect provider's (JWKS).
        .target(name: "Identity", dependencies: ["JSON", jwtKit, logging, httpClient, nioCore]),
        // MARK: Wiring: every policy daemon, named once, and the adapters the workers use.
        .target(name: "Policies", dependencies: [
            "Backbone", "Contract", "Daemon", "Stores", "Payments", "Deliveries", "Notifications", "Dashboards", "Orders", "HTTPLite",
            "PaymentGatewayAPI", "RedisAdapters", "Redis", "Telemetry", logging,
        ]),

        // MARK: Autoscaling: the decision (pure) and the daemon that acts on it.
        // Instances from backlog over time; the view it publishes (`<prefix>:autoscaler`). No I/O.
        .target(name: "Autoscaling", dependencies: ["JSON", "Numbers"]),
        // The autoscaler's loop: backlogs through the inspector, the launchers (systemd, process), metrics.
        .target(name: "Autoscaler", dependencies: ["Autoscaling", "Backbone", "Contract", "Daemon", "Operations", "Policies", "Redis", logging, metrics, lifecycle]),

        // MARK: Serving.
        // Prometheus set-up and the workers' metrics endpoint.
        .target(name: "Observability", dependencies: ["Daemon", "HTTPLite", "Redis", logging, lifecycle, prometheus, metrics]),
        // What both HTTP services share: context, JSON bodies, errors, health, limits, the daemon.
        .target(name: "HTTPServer", dependencies: [
            "Contract", "Daemon", "JSON", "Redis", "RedisNIO", hummingbird, hummingbirdCore, logging, metrics, lifecycle, prometheus, nioCore, nioPosix, nioHTTP1, nioHTTPTypes,
            httpTypes, tracing,
        ]),
        // The REST API: controllers that parse, authorise and format (one per context), the
        // operator console (its page embedded in the binary) and the OpenAPI document it serves.
        .target(name: "API", dependencies: [
            "Application", "HTTPServer", "Contract", "Orders", "Stores", "Payments", "Identity", "Operations", "RedisAdapters", "GatewayClient", "Telemetry",
            "Backbone", "Daemon", "JSON", "Redis", "RedisNIO", hummingbird, logging, metrics, prometheus, nioCore, httpTypes,
        ], resources: [
            .embedInCode("Console/console.html"), .embedInCode("Console/console.css"), .embedInCode("Console/console.js"),
            .embedInCode("OpenAPI/openapi.json"),
        ]),
        // The payment gateway stand-in: a third party in real life, so it knows none of our contexts.
        .target(name: "PaymentGatewayStandIn", dependencies: ["HTTPServer", "PaymentGatewayAPI", "Backbone", "Contract", "Daemon", "JSON", "Redis", hummingbird, logging, prometheus]),

        // MARK: Executables: thin mains.
        .executableTarget(name: "baedal-api", dependencies: ["API", "HTTPServer", "Daemon", "Observability", logging, argumentParser]),
        .executableTarget(name: "baedal-payment", dependencies: ["PaymentGatewayStandIn", "HTTPServer", "Daemon", "Observability", "Redis", "RedisNIO", logging, argumentParser]),
        .executableTarget(name: "baedal-worker", dependencies: ["Policies", "Backbone", "Contract", "Daemon", "Observability", logging, lifecycle, argumentParser]),
        .executableTarget(name: "baedalctl", dependencies: [
            "Autoscaler", "Autoscaling", "Backbone", "Contract", "Daemon", "Numbers", "Operations", "Policies", "Dashboards", "Stores", "Identity", "JSON", "Redis",
            "RedisAdapters", logging, argumentParser,
        ]),
        .executableTarget(name: "baedal-autoscaler", dependencies: [
            "Autoscaler", "Autoscaling", "Daemon", "Observability", "Policies", logging, lifecycle, argumentParser,
        ]),
        .executableTarget(name: "baedal-bench", dependencies: [
            "Autoscaling", "Backbone", "Contract", "Daemon", "HTTPLite", "Redis", "Stores", "Dashboards", "Identity", argumentParser, crypto, cryptoExtras, logging,
        ]),

        // MARK: Tests.
        .target(name: "TestSupport", dependencies: ["HTTPLite", "Redis"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", logging, tracing]),
        .testTarget(name: "IdentityTests", dependencies: ["Identity", jwtKit, crypto, cryptoExtras, logging]),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "TestSupport"]),
        .testTarget(name: "RedisNIOTests", dependencies: ["RedisNIO", "Redis", "TestSupport", nioCore, nioPosix]),
        .testTarget(name: "BackboneTests", dependencies: ["Backbone", "Contract", "Numbers", "Daemon", "JSON", "Redis", "TestSupport", logging]),
        .testTarget(name: "OrdersTests", dependencies: ["Orders", "Contract", "RedisAdapters"]),
        .testTarget(name: "OperationsTests", dependencies: ["Operations", "Backbone", "Contract", "Redis", "TestSupport"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling"]),
        .testTarget(name: "PoliciesTests", dependencies: [
            "Policies", "Stores", "Payments", "PaymentGatewayAPI", "Deliveries", "Notifications", "Dashboards", "Orders", "Backbone", "Contract",
            "InMemoryAdapters", "Redis", "RedisAdapters", "TestSupport", logging,
        ]),
        .testTarget(name: "ApplicationTests", dependencies: [
            "Application", "Orders", "Stores", "Payments", "PaymentGatewayAPI", "Contract", "InMemoryAdapters", "RedisAdapters", "Backbone", "Redis",
            "TestSupport", logging,
        ]),
        .testTarget(name: "APITests", dependencies: [
            "API", "Application", "Backbone", "Contract", "HTTPServer", "InMemoryAdapters", "Orders", "Payments", "Stores", "Redis", "Identity", "TestSupport",
            hummingbird, httpTypes, logging, prometheus,
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["Backbone", "Contract", "Daemon", "Policies", "Redis", "Identity", "TestSupport", httpClient, crypto, cryptoExtras, nioCore]),
        // The layers, from the package's own description.
        .testTarget(name: "ArchitectureTests", dependencies: ["TestSupport"]),
        // The docs: every relative link of README.md and docs/ resolves inside the repository.
        .testTarget(name: "DocsTests", dependencies: ["TestSupport"]),
    ]
)
