// swift-tools-version:6.0
import PackageDescription

let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let httpClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")

let package = Package(
    name: "Baedal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "baedal-api", targets: ["baedal-api"]),
        .executable(name: "baedal-payment", targets: ["baedal-payment"]),
        .executable(name: "baedal-worker", targets: ["baedal-worker"]),
        .executable(name: "baedalctl", targets: ["baedalctl"]),
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
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // A strict, allocation-light JSON reader and a compact writer: no dependencies.
        .target(name: "JSON"),
        // The client: knows Redis, not food.
        .target(name: "Redis", dependencies: ["CHiredis", logging, .product(name: "Metrics", package: "swift-metrics")]),
        // Events on streams: envelope, keys, atomic commit, consumer-group runtime, middleware.
        .target(
            name: "Backbone",
            dependencies: [
                "JSON", "Redis", logging, lifecycle,
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Bounded contexts: each its domain (pure) and its adapters and policies.
        .target(name: "Orders", dependencies: ["Backbone"]),
        .target(name: "Stores", dependencies: ["Backbone", "Orders"]),
        .target(name: "Payments", dependencies: ["Backbone", "Orders", "HTTPLite", logging]),
        .target(name: "Deliveries", dependencies: ["Backbone", "Orders"]),
        .target(name: "Notifications", dependencies: ["Backbone", "Orders", "HTTPLite", logging]),
        .target(name: "Dashboards", dependencies: ["Backbone", "Orders"]),
        // The workers' HTTP: a small Foundation-free client and server (keeps them lean).
        .target(name: "HTTPLite"),
        // Prometheus set-up and the workers' metrics endpoint.
        .target(
            name: "Observability",
            dependencies: ["Backbone", "HTTPLite", logging, lifecycle, .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Metrics", package: "swift-metrics")]
        ),
        // Who is calling: HS256 bearer tokens.
        .target(name: "Identity", dependencies: ["JSON", .product(name: "JWTKit", package: "jwt-kit")]),
        // The HTTP adapters: the REST API and the payment gateway stand-in.
        .target(
            name: "API",
            dependencies: [
                "Backbone", "Orders", "Stores", "Payments", "Deliveries", "Notifications", "Dashboards", "Identity",
                "HTTPLite", "Observability", hummingbird, httpClient, logging,
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "baedal-api", dependencies: ["API", "Backbone", "Observability", hummingbird, lifecycle, logging]),
        .executableTarget(name: "baedal-payment", dependencies: ["API", "Backbone", "Observability", hummingbird, lifecycle, logging]),
        .executableTarget(
            name: "baedal-worker",
            dependencies: [
                "Backbone", "Stores", "Payments", "Deliveries", "Notifications", "Dashboards", "Observability",
                logging, lifecycle,
            ]
        ),
        .executableTarget(
            name: "baedalctl",
            dependencies: [
                "Backbone", "Redis", "Identity", "Dashboards", "Stores", "Deliveries", "Notifications", "Payments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "baedal-bench", dependencies: ["Backbone", "Redis"]),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "TestSupport"]),
        .testTarget(name: "BackboneTests", dependencies: ["Backbone", "Redis", "TestSupport"]),
        .testTarget(name: "OrdersTests", dependencies: ["Orders", "Backbone", "Payments"]),
        .testTarget(name: "DashboardsTests", dependencies: ["Dashboards", "Backbone"]),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Backbone", "Redis", "Identity", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["Backbone", "Redis", "Identity", "TestSupport", httpClient,
                                                          .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "TestSupport", dependencies: ["Redis"], path: "Tests/TestSupport"),
    ]
)
