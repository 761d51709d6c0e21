// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Baedal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "baedal-worker", targets: ["baedal-worker"]),
        .executable(name: "baedal-bench", targets: ["baedal-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // The client: knows Redis, not food.
        .target(
            name: "Redis",
            dependencies: ["CHiredis", .product(name: "Logging", package: "swift-log")]
        ),
        // Events on streams: envelope, keys, atomic commit, consumer-group runtime, middleware.
        .target(
            name: "Backbone",
            dependencies: [
                "Redis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Bounded context: the dashboards (a projection of order, store and delivery events).
        .target(name: "Dashboards", dependencies: ["Backbone"]),
        .executableTarget(
            name: "baedal-worker",
            dependencies: [
                "Backbone", "Dashboards",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "baedal-bench", dependencies: ["Backbone", "Redis"]),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "TestSupport"]),
        .testTarget(name: "BackboneTests", dependencies: ["Backbone", "Redis", "TestSupport"]),
        .testTarget(name: "DashboardsTests", dependencies: ["Dashboards", "Backbone"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Backbone", "Redis", "TestSupport"]),
        .target(name: "TestSupport", dependencies: ["Redis"], path: "Tests/TestSupport"),
    ]
)
