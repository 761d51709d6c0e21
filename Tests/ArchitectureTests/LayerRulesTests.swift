import Foundation
import Testing
import TestSupport

/// The layers, held by the package's own description (`swift package describe --type json`, which
/// `make test` writes to `.build/package-description.json`), the way ddd-by-examples holds its
/// layers with ArchUnit: the model has no I/O anywhere in its dependency graph, the application
/// speaks to ports, the consumer runtime knows no supervisor, the HTTP layer no backbone.
@Suite("Layer rules")
struct LayerRulesTests {
    struct Target: Decodable {
        var name: String
        var target_dependencies: [String]?
        var product_dependencies: [String]?
    }

    struct Description: Decodable {
        var targets: [Target]
    }

    static func description() throws -> [String: Target] {
        let file = packageRoot().appendingPathComponent(".build/package-description.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw TestFailure("\(file.path) is missing: make test writes it (swift package describe --type json > .build/package-description.json)")
        }
        return Dictionary(uniqueKeysWithValues: try JSONDecoder().decode(Description.self, from: data).targets.map { ($0.name, $0) })
    }

    /// Every target and product `name` depends on, directly or through other targets.
    static func closure(of name: String, in targets: [String: Target]) -> Set<String> {
        var seen = Set<String>(), queue = [name]
        while let next = queue.popLast() {
            guard let target = targets[next] else { continue }
            for dependency in (target.target_dependencies ?? []) + (target.product_dependencies ?? []) where seen.insert(dependency).inserted {
                queue.append(dependency)
            }
        }
        return seen
    }

    /// What does I/O or runs a process: clients, servers, the event loop, the supervisor's plumbing.
    static let io: Set<String> = [
        "CHiredis", "Redis", "RedisNIO", "HTTPLite", "Daemon", "Backbone", "RedisAdapters", "GatewayClient", "HTTPServer", "API", "Operations",
        "Policies", "Observability", "Identity", "Hummingbird", "HummingbirdCore", "AsyncHTTPClient", "NIOCore", "NIOPosix", "NIOHTTP1",
        "ServiceLifecycle", "ArgumentParser", "Prometheus",
    ]

    static let model = ["Contract", "Orders", "Stores", "Payments", "Deliveries", "Notifications", "Dashboards", "PaymentGatewayAPI", "JSON", "Numbers"]

    @Test(arguments: model)
    func theModelHasNoIOInItsGraph(_ name: String) throws {
        let targets = try Self.description()
        #expect(targets[name] != nil, "no target \(name)")
        let reached = Self.closure(of: name, in: targets)
        #expect(reached.isDisjoint(with: Self.io), "\(name) reaches \(reached.intersection(Self.io).sorted())")
    }

    /// The use cases speak to the model's ports; Redis, HTTP and the backbone are adapters'.
    @Test func theApplicationSpeaksToPortsOnly() throws {
        let reached = Self.closure(of: "Application", in: try Self.description())
        #expect(reached.isDisjoint(with: Self.io), "Application reaches \(reached.intersection(Self.io).sorted())")
    }

    /// The runtime tells its supervisor through hooks: no systemd, no command line, no HTTP.
    @Test func theConsumerRuntimeKnowsNoSupervisor() throws {
        let reached = Self.closure(of: "Backbone", in: try Self.description())
        for forbidden in ["Daemon", "ArgumentParser", "HTTPServer", "Hummingbird", "Policies", "RedisAdapters", "Application"] {
            #expect(!reached.contains(forbidden), "Backbone reaches \(forbidden)")
        }
    }

    /// The HTTP layer's plumbing is shared by both HTTP services and knows no backbone or context.
    @Test func theHTTPLayerKnowsNoBackbone() throws {
        let reached = Self.closure(of: "HTTPServer", in: try Self.description())
        for forbidden in ["Backbone", "Orders", "Stores", "Application", "RedisAdapters"] {
            #expect(!reached.contains(forbidden), "HTTPServer reaches \(forbidden)")
        }
    }

    /// The gateway stand-in is a third party: it links none of our contexts.
    @Test func theGatewayStandInKnowsNoContext() throws {
        let reached = Self.closure(of: "PaymentGatewayStandIn", in: try Self.description())
        for forbidden in ["Orders", "Stores", "Payments", "Deliveries", "Notifications", "Dashboards", "Application", "Policies"] {
            #expect(!reached.contains(forbidden), "PaymentGatewayStandIn reaches \(forbidden)")
        }
    }

    /// The rules can fail: a graph with a model target that reaches Redis breaks the first rule.
    @Test func theRuleCatchesAModelThatReachesRedis() {
        let targets = ["Orders": Target(name: "Orders", target_dependencies: ["Contract"]),
                       "Contract": Target(name: "Contract", target_dependencies: ["Backbone"]),
                       "Backbone": Target(name: "Backbone", target_dependencies: ["Redis"])]
        #expect(Self.closure(of: "Orders", in: targets).intersection(Self.io) == ["Backbone", "Redis"])
    }
}
