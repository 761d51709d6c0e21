import Foundation
import Redis

#if canImport(Glibc)
import Glibc
#endif

/// A highly available Redis of the test's own, on free loopback ports: a primary, replicas and
/// Sentinels (quorum 2, failover after `downAfterMilliseconds`), no persistence. Kill the primary
/// with `killPrimary()` and the Sentinels promote a replica.
public final class RedisHighAvailability: @unchecked Sendable {
    public let masterName = "baedal"
    public private(set) var servers: [RedisServer] = []
    public private(set) var sentinels: [SentinelProcess] = []

    /// Set when every server and Sentinel speaks TLS only (`rediss-sentinel://`).
    public let certificates: TestCertificates?

    public init(replicas: Int = 2, sentinels sentinelCount: Int = 3, downAfterMilliseconds: Int = 1_000, tls: TestCertificates? = nil) throws {
        certificates = tls
        // No 5 s wait before a diskless full sync (the default lets more replicas join one sync).
        let quick = ["--repl-diskless-sync-delay", "0"] + (tls == nil ? [] : ["--tls-replication", "yes"])
        let primary = try RedisServer(extraArguments: quick, tls: tls)
        servers.append(primary)
        for _ in 0..<replicas {
            servers.append(try RedisServer(extraArguments: quick + ["--replicaof", "127.0.0.1", String(primary.port)], tls: tls))
        }
        // Replicas online (synced) before anyone relies on them.
        let synced = waitUntil(seconds: 15) {
            let info = (try? primary.connect().send(RedisCommand("INFO", "replication")).string) ?? ""
            return info.components(separatedBy: "state=online").count - 1 == replicas
        }
        guard synced else { throw TestFailure("the replicas did not connect to the primary") }
        for _ in 0..<sentinelCount {
            sentinels.append(try SentinelProcess(monitoring: primary.port, name: masterName, downAfterMilliseconds: downAfterMilliseconds, tls: tls))
        }
        let agreed = waitUntil(seconds: 15) { self.sentinels.allSatisfy { $0.knownSentinels() == sentinelCount - 1 && $0.knownReplicas() == replicas } }
        guard agreed else { throw TestFailure("the Sentinels did not find each other and the replicas") }
    }

    /// `redis-sentinel://…/baedal` naming every Sentinel (`rediss-sentinel://` over TLS).
    public var url: String {
        (certificates == nil ? "redis-sentinel://" : "rediss-sentinel://") + sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/\(masterName)"
    }

    /// The port the Sentinels name as the primary now (the first that answers).
    public var primaryPort: Int? {
        for sentinel in sentinels where sentinel.isRunning {
            if let port = sentinel.primaryPort(name: masterName) { return port }
        }
        return nil
    }

    public func server(port: Int) -> RedisServer? { servers.first { $0.port == port } }

    /// SIGKILLs the current primary; returns its port.
    @discardableResult
    public func killPrimary() throws -> Int {
        guard let port = primaryPort, let server = server(port: port) else { throw TestFailure("no primary to kill") }
        server.stop()
        return port
    }

    /// Waits until the Sentinels name a primary other than `old` and it answers as one.
    public func waitForNewPrimary(other old: Int, seconds: Double = 30) -> Int? {
        var found: Int?
        _ = waitUntil(seconds: seconds) {
            guard let port = self.primaryPort, port != old, let server = self.server(port: port),
                  let role = try? server.connect().send(RedisCommand("ROLE")).array?.first?.string, role == "master" else { return false }
            found = port
            return true
        }
        return found
    }

    private func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}

/// `redis-server sentinel.conf --sentinel` on a free port, its configuration (which Sentinel
/// rewrites) in a directory of its own.
public final class SentinelProcess: @unchecked Sendable {
    public let port: Int
    private let directory: URL
    private let process = Process()
    private let tls: RedisTLS?

    init(monitoring primaryPort: Int, name: String, downAfterMilliseconds: Int, tls certificates: TestCertificates? = nil) throws {
        tls = certificates?.clientTLS
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-sentinel-\(port)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configuration = directory.appendingPathComponent("sentinel.conf")
        let listening = certificates.map { certificates in
            """
            port 0
            tls-port \(port)
            tls-cert-file \(certificates.serverCertificate)
            tls-key-file \(certificates.serverKey)
            tls-ca-cert-file \(certificates.ca)
            tls-replication yes
            """
        } ?? "port \(port)"
        try """
        \(listening)
        bind 127.0.0.1
        dir \(directory.path)
        logfile \(directory.appendingPathComponent("sentinel.log").path)
        sentinel monitor \(name) 127.0.0.1 \(primaryPort) 2
        sentinel down-after-milliseconds \(name) \(downAfterMilliseconds)
        sentinel failover-timeout \(name) 5000
        sentinel parallel-syncs \(name) 1
        """.write(to: configuration, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: try findExecutable("redis-server"))
        process.arguments = [configuration.path, "--sentinel"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? connect().send(RedisCommand("PING"))) == .status("PONG") { return }
            usleep(20_000)
        }
        throw TestFailure("redis-sentinel did not answer on port \(port)")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    public var isRunning: Bool { process.isRunning }

    public func connect() throws -> RedisConnection {
        var configuration = RedisConfiguration(port: port)
        configuration.tls = tls
        configuration.connectTimeoutMilliseconds = 500
        configuration.readTimeoutMilliseconds = 1_000
        return try RedisConnection(plain: configuration)
    }

    public func primaryPort(name: String) -> Int? {
        (try? connect().send(RedisCommand("SENTINEL", "get-master-addr-by-name", name)).array?.last?.string).flatMap { Int($0) }
    }

    func knownSentinels() -> Int {
        (try? connect().send(RedisCommand("SENTINEL", "sentinels", "baedal")).array?.count) ?? -1
    }

    func knownReplicas() -> Int {
        (try? connect().send(RedisCommand("SENTINEL", "replicas", "baedal")).array?.count) ?? -1
    }

    /// The Sentinel's log, for a failing test's message.
    public var log: String { (try? String(contentsOf: directory.appendingPathComponent("sentinel.log"), encoding: .utf8)) ?? "" }
}
