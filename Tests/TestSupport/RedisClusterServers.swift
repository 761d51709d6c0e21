import Foundation
import Redis

#if canImport(Glibc)
import Glibc
#endif

/// A Redis Cluster of the test's own: real redis-servers (three primaries and a replica each by
/// default) on free loopback ports whose cluster bus ports (port + 10000) are free too, no
/// persistence, each in its own temporary directory with its `nodes.conf`, formed by
/// `redis-cli --cluster create`. `cluster-node-timeout` is 2 s, so a killed primary's replica is
/// promoted within a few seconds; `cluster-require-full-coverage no`, so the other primaries go on
/// serving meanwhile. Every wait is for a fact the nodes report, never a bare sleep.
public final class RedisClusterServers: @unchecked Sendable {
    public private(set) var servers: [RedisServer] = []
    public let nodeTimeoutMilliseconds: Int
    /// Ports of the nodes killed and not started again.
    private var down: Set<Int> = []
    /// Set when every node speaks TLS only, on its clients' port and its bus (`rediss-cluster://`).
    public let certificates: TestCertificates?

    public init(primaries: Int = 3, replicasPerPrimary: Int = 1, nodeTimeoutMilliseconds: Int = 2_000, tls: TestCertificates? = nil) throws {
        self.nodeTimeoutMilliseconds = nodeTimeoutMilliseconds
        certificates = tls
        var taken: Set<Int> = []
        for _ in 0..<(primaries * (1 + replicasPerPrimary)) {
            let port = try Self.freeClusterPort(avoiding: taken)
            taken.formUnion([port, port + 10_000])
            servers.append(try RedisServer(port: port, extraArguments: [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", String(nodeTimeoutMilliseconds),
                "--cluster-require-full-coverage", "no",
                // No 5 s wait before a replica's first sync: replicas are in step before the tests start.
                "--repl-diskless-sync-delay", "0",
            ] + (tls == nil ? [] : ["--tls-cluster", "yes", "--tls-replication", "yes"]), tls: tls))
        }
        let created = try Self.run("redis-cli", cliTLS + ["--cluster", "create"] + servers.map { "127.0.0.1:\($0.port)" }
            + ["--cluster-replicas", String(replicasPerPrimary), "--cluster-yes"])
        guard created.status == 0 else { throw TestFailure("redis-cli --cluster create failed: \(created.output)") }
        try waitUntilSettled(primaries: primaries, replicasPerPrimary: replicasPerPrimary)
    }

    deinit { stop() }

    // MARK: Where things are

    /// redis-cli's TLS options, when the nodes speak TLS.
    var cliTLS: [String] {
        certificates.map { ["--tls", "--cacert", $0.ca, "--cert", $0.clientCertificate, "--key", $0.clientKey] } ?? []
    }

    /// `redis-cluster://` naming every node as a seed (`rediss-cluster://` over TLS).
    public var url: String { (certificates == nil ? "redis-cluster://" : "rediss-cluster://") + servers.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    /// The same as a configuration.
    public var configuration: RedisConfiguration {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: servers[0].port,
                                               cluster: .init(seeds: servers.map { RedisEndpoint(host: "127.0.0.1", port: $0.port) }))
        configuration.tls = certificates?.clientTLS
        return configuration
    }

    public func server(port: Int) -> RedisServer? { servers.first { $0.port == port } }

    /// A plain connection to one node (no routing: for the test's own look at that node).
    public func connect(port: Int) throws -> RedisConnection {
        var configuration = RedisConfiguration(port: port)
        configuration.tls = certificates?.clientTLS
        configuration.connectTimeoutMilliseconds = 1_000
        configuration.readTimeoutMilliseconds = 5_000
        return try RedisConnection(plain: configuration)
    }

    /// The slot map as that node tells it (`CLUSTER SHARDS`, read by the client's own parser).
    public func slotMap(askingPort port: Int) throws -> ClusterSlotMap {
        var configuration = RedisConfiguration(port: port)
        configuration.tls = certificates?.clientTLS
        configuration.cluster = .init(seeds: [RedisEndpoint(host: "127.0.0.1", port: port)])
        return try ClusterResolver(configuration: configuration).refresh(after: 0)
    }

    /// The slot map as the first running node tells it.
    public func slotMap() throws -> ClusterSlotMap {
        var problems: [String] = []
        for server in runningServers {
            do { return try slotMap(askingPort: server.port) } catch { problems.append("\(server.port): \(error)") }
        }
        throw TestFailure("no node told its slot map: \(problems)")
    }

    /// The port of the primary that serves the slot now.
    public func primaryPort(servingSlot slot: HashSlot) throws -> Int {
        guard let primary = try slotMap().primary(for: slot) else { throw TestFailure("no primary serves slot \(slot)") }
        return primary.port
    }

    /// The server of the primary that serves the slot now.
    public func primary(servingSlot slot: HashSlot) throws -> RedisServer {
        let port = try primaryPort(servingSlot: slot)
        guard let server = server(port: port) else { throw TestFailure("port \(port) is not one of the cluster's") }
        return server
    }

    /// The node's id (`CLUSTER MYID`).
    public func nodeID(port: Int) throws -> String {
        guard let id = try connect(port: port).send(RedisCommand("CLUSTER", "MYID")).string else { throw TestFailure("no id from \(port)") }
        return id
    }

    /// The ports of the primaries that serve slots, in slot order.
    public func primaryPorts() throws -> [Int] { try slotMap().primaries.map(\.port) }

    // MARK: Failures

    /// SIGKILLs the primary that serves the slot; returns its port.
    @discardableResult
    public func killPrimary(servingSlot slot: HashSlot) throws -> Int {
        let server = try primary(servingSlot: slot)
        server.stop()
        down.insert(server.port)
        return server.port
    }

    /// Starts a stopped node again with its `nodes.conf`: it rejoins (as a replica of whoever
    /// took its slots) and is waited for until it follows a primary that is in step.
    public func restart(port: Int, seconds: Double = 30) throws {
        guard let server = server(port: port) else { throw TestFailure("port \(port) is not one of the cluster's") }
        try server.start()
        down.remove(port)
        let rejoined = waitUntil(seconds: seconds) {
            let info = (try? self.connect(port: port).send(RedisCommand("INFO", "replication")).string) ?? ""
            return info.contains("role:slave") && info.contains("master_link_status:up")
        }
        guard rejoined else { throw TestFailure("node \(port) did not rejoin as a replica in \(seconds) s") }
    }

    /// Waits until a primary other than `dead` serves the slot, every running node agrees and
    /// says `cluster_state:ok`; returns the new primary's port.
    @discardableResult
    public func waitForFailover(of dead: Int, slot: HashSlot, seconds: Double = 30) throws -> Int {
        var promoted: Int?
        let done = waitUntil(seconds: seconds) {
            guard let maps = try? self.runningServers.map({ try self.slotMap(askingPort: $0.port) }),
                  let first = maps.first, maps.allSatisfy({ $0.routesLike(first) }),
                  let primary = first.primary(for: slot), primary.port != dead,
                  self.runningServers.allSatisfy({ self.clusterState(port: $0.port) == "ok" }),
                  (try? self.connect(port: primary.port).send(RedisCommand("ROLE")).array?.first?.string) == "master"
            else { return false }
            promoted = primary.port
            return true
        }
        guard done, let promoted else { throw TestFailure("no replica took over slot \(slot) from \(dead) in \(seconds) s") }
        return promoted
    }

    // MARK: Moving slots

    /// `redis-cli --cluster reshard`: moves the `count` lowest slots of the primary on `from`,
    /// keys and all, to the primary on `to`, then waits until every node agrees.
    public func reshard(slots count: Int, from: Int, to: Int) throws {
        let result = try Self.run("redis-cli", cliTLS + [
            "--cluster", "reshard", "127.0.0.1:\(from)", "--cluster-from", try nodeID(port: from), "--cluster-to", try nodeID(port: to),
            "--cluster-slots", String(count), "--cluster-yes",
        ])
        guard result.status == 0 else { throw TestFailure("redis-cli --cluster reshard failed: \(result.output)") }
        try waitUntilAgreed()
    }

    /// Waits until every running node tells the same slot map and says `cluster_state:ok`.
    public func waitUntilAgreed(seconds: Double = 30) throws {
        let agreed = waitUntil(seconds: seconds) {
            guard let maps = try? self.runningServers.map({ try self.slotMap(askingPort: $0.port) }), let first = maps.first else { return false }
            return maps.allSatisfy { $0.routesLike(first) } && self.runningServers.allSatisfy { self.clusterState(port: $0.port) == "ok" }
        }
        guard agreed else { throw TestFailure("the nodes did not agree on the slots in \(seconds) s") }
    }

    /// Stops every node (also done when the cluster is released).
    public func stop() {
        for server in servers { server.stop() }
    }

    // MARK: Plumbing

    private var runningServers: [RedisServer] { servers.filter { !down.contains($0.port) } }

    private func clusterState(port: Int) -> String? {
        let info = (try? connect(port: port).send(RedisCommand("CLUSTER", "INFO")).string) ?? ""
        return RedisClusterServers.field("cluster_state", in: info)
    }

    /// Ready: every slot served, every node agreeing and `ok`, every primary with its replicas,
    /// and every replica's link to its primary up (a replica out of step would not be promoted).
    private func waitUntilSettled(primaries: Int, replicasPerPrimary: Int, seconds: Double = 30) throws {
        let settled = waitUntil(seconds: seconds) {
            guard let maps = try? self.servers.map({ try self.slotMap(askingPort: $0.port) }), let first = maps.first,
                  first.unservedSlots == 0, first.shards.count == primaries,
                  first.shards.allSatisfy({ $0.replicas.count == replicasPerPrimary }),
                  maps.allSatisfy({ $0.routesLike(first) && $0.shards.map(\.replicas.count) == first.shards.map(\.replicas.count) })
            else { return false }
            let primaryPorts = Set(first.primaries.map(\.port))
            return self.servers.allSatisfy { server in
                guard self.clusterState(port: server.port) == "ok" else { return false }
                if primaryPorts.contains(server.port) { return true }
                let info = (try? self.connect(port: server.port).send(RedisCommand("INFO", "replication")).string) ?? ""
                return RedisClusterServers.field("master_link_status", in: info) == "up"
            }
        }
        guard settled else { throw TestFailure("the cluster did not settle in \(seconds) s") }
    }

    static func field(_ name: String, in info: String) -> String? {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1))
        }
        return nil
    }

    private func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    /// A free port whose cluster bus port (port + 10000) is free as well.
    public static func freeClusterPort(avoiding taken: Set<Int> = []) throws -> Int {
        for _ in 0..<200 {
            let port = try freePort()
            if port + 10_000 <= 65_535, !taken.contains(port), !taken.contains(port + 10_000), isFree(port + 10_000) { return port }
        }
        throw TestFailure("no free port with a free cluster bus port")
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A program run to its end, blocking: its status and everything it printed.
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try findExecutable(name))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
