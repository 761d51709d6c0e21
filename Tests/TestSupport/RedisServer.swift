import Foundation
import Redis

#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` of the test's own, on a free port, with no persistence, in a temporary
/// directory. `stop()` ends it; `restart()` brings up an empty one on the same port.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let extraArguments: [String]
    private var process: Process?
    /// Set when the server speaks TLS only (`rediss://`, clients' certificates required).
    public let certificates: TestCertificates?

    /// Starts a server on a free port, or on `port`; with `start: false` it only reserves the
    /// directory, for tests that need Redis to come up later. With `tls`, it serves TLS only,
    /// with those certificates, and `url`, `configuration` and `connect()` speak TLS.
    public init(port: Int? = nil, extraArguments: [String] = [], tls: TestCertificates? = nil, start: Bool = true) throws {
        self.port = try port ?? freePort()
        certificates = tls
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-redis-\(self.port)-\(UUID().uuidString.prefix(8))")
        self.extraArguments = extraArguments
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if start { try self.start() }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public var url: String { certificates == nil ? "redis://127.0.0.1:\(port)" : "rediss://127.0.0.1:\(port)" }
    public var configuration: RedisConfiguration {
        var configuration = RedisConfiguration(port: port)
        configuration.tls = certificates?.clientTLS
        return configuration
    }

    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try findExecutable("redis-server"))
        process.arguments = (certificates?.serverArguments(port: port) ?? ["--port", String(port)])
            + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let connection = try? RedisConnection(configuration: configuration),
               let reply = try? connection.sendKeepingErrors(RedisCommand("PING")),
               reply == .status("PONG") || reply.serverError?.serverCode == "NOAUTH" {
                return
            }
            usleep(20_000)
        }
        throw TestFailure("redis-server did not answer on port \(port)")
    }

    /// Ends the server at once, losing its data (it has no persistence).
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Freezes the server (SIGSTOP): it neither answers nor replicates until `resume()`.
    public func pause() {
        if let process, process.isRunning { kill(process.processIdentifier, SIGSTOP) }
    }

    public func resume() {
        if let process, process.isRunning { kill(process.processIdentifier, SIGCONT) }
    }

    /// A Redis restart without persistence: same port, nothing kept.
    public func restart() throws {
        stop()
        try start()
    }

    /// A fresh connection for the test's own reads and writes.
    public func connect() throws -> RedisConnection {
        try RedisConnection(configuration: configuration)
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public func findExecutable(_ name: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") + ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw TestFailure("\(name) is not installed (make test installs it)")
}

/// A port nobody listens on right now and that this test run has not handed out before: bind to
/// port 0 and ask the kernel which one it gave. The kernel may give a port back once it is closed,
/// and a test's process binds it only later, so two processes of one test (the API and the
/// gateway) could otherwise be told the same port, and the one that loses the bind leaves the
/// other answering its requests.
public func freePort() throws -> Int {
    for _ in 0..<64 {
        let port = try kernelFreePort()
        if HandedOutPorts.shared.take(port) { return port }
    }
    throw TestFailure("could not find a port not handed out before")
}

private final class HandedOutPorts: @unchecked Sendable {
    static let shared = HandedOutPorts()
    private let lock = NSLock()
    private var ports: Set<Int> = []

    func take(_ port: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return ports.insert(port).inserted
    }
}

private func kernelFreePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("could not find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

extension RedisConnection {
    /// Whether `group` has been handed every entry written to `stream` so far and has acknowledged
    /// them all (its last delivered id is the stream's last id, nothing is pending). Since a
    /// consumer applies a message's writes with its acknowledgement, everything those entries were
    /// going to change has been changed by then: a later look sees the final state.
    public func groupHasHandledEverything(_ group: String, of stream: String) throws -> Bool {
        let last = try send(RedisCommand("XINFO", "STREAM", stream)).fields["last-generated-id"]?.string
        let groups = try send(RedisCommand("XINFO", "GROUPS", stream)).array ?? []
        guard let info = groups.map(\.fields).first(where: { $0["name"]?.string == group }) else { return false }
        return last != nil && info["last-delivered-id"]?.string == last && info["pending"]?.int == 0
    }

    /// How many clients the server holds blocked in a command (`BLPOP`, `XREADGROUP … BLOCK`)
    /// right now, from `INFO clients`.
    public func blockedClients() throws -> Int {
        let info = try send(RedisCommand("INFO", "clients")).string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("blocked_clients:") }
        return line.flatMap { Int($0.dropFirst("blocked_clients:".count)) } ?? -1
    }
}
