import NIOCore
import NIOPosix
import Redis
import RedisNIO
import Synchronization
import Testing
import TestSupport

@Suite("NIORedisClient against a real redis-server", .serialized)
final class NIORedisClientTests {
    let server: RedisServer
    /// Two loops, as on this project's machines: callers on either loop, and callers on neither.
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    init() throws {
        server = try RedisServer()
    }

    deinit {
        try? group.syncShutdownGracefully()
    }

    func client(_ configuration: RedisConfiguration? = nil, group: MultiThreadedEventLoopGroup? = nil, maxBackoffMilliseconds: Int = 3_000,
                endpoint: (any RedisEndpointResolver)? = nil) -> NIORedisClient {
        NIORedisClient(configuration: configuration ?? server.configuration, group: group ?? self.group, endpoint: endpoint,
                       maxBackoffMilliseconds: maxBackoffMilliseconds)
    }

    @Test func repliesOfEveryKind() async throws {
        let redis = client()
        defer { redis.close() }
        #expect(try await redis.send("PING") == .status("PONG"))
        #expect(try await redis.send("SET", "k", "v") == .status("OK"))
        #expect(try await redis.send("GET", "k") == .bulk(Array("v".utf8)))
        #expect(try await redis.send("GET", "missing") == .null)
        #expect(try await redis.send("INCRBY", "n", "-42") == .integer(-42))
        _ = try await redis.send("RPUSH", "list", "a", "", "c")
        #expect(try await redis.send("LRANGE", "list", "0", "-1") == .array([.bulk(Array("a".utf8)), .bulk([]), .bulk(Array("c".utf8))]))
        let nested = try await redis.send("EVAL", "return {1, {'x', false}, 'y'}", "0")
        #expect(nested == .array([.integer(1), .array([.bulk(Array("x".utf8)), .null]), .bulk(Array("y".utf8))]))
        // A reply bigger than one read of the socket (hiredis's reader is fed piece by piece).
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        _ = try await redis.send(RedisCommand(bytes: [Array("SET".utf8), Array("big".utf8), big]))
        #expect(try await redis.send("GET", "big") == .bulk(big))
    }

    @Test func binarySafeArguments() async throws {
        let redis = client()
        defer { redis.close() }
        let tricky: [UInt8] = Array("a\u{0}b\r\nc %s %d %b\n*3\r\n$1\r\n".utf8) + [0xFF, 0x00, 0xFE]
        #expect(try await redis.send(RedisCommand(bytes: [Array("SET".utf8), tricky, tricky])) == .status("OK"))
        #expect(try await redis.send(RedisCommand(bytes: [Array("GET".utf8), tricky])) == .bulk(tricky))
        #expect(try await redis.send(RedisCommand(bytes: [Array("STRLEN".utf8), tricky])) == .integer(Int64(tricky.count)))
        #expect(try await redis.send("SET", "empty", "") == .status("OK"))
        #expect(try await redis.send("GET", "empty") == .bulk([]))
        #expect(try await redis.pipeline([RedisCommand(bytes: [Array("GET".utf8), tricky]), RedisCommand("GET", "empty")]) == [.bulk(tricky), .bulk([])])
    }

    @Test func errorRepliesAreTypedAndLeaveTheConnectionUsable() async throws {
        let redis = client()
        defer { redis.close() }
        _ = try await redis.send("SET", "str", "x")
        await #expect(throws: RedisError.server("WRONGTYPE Operation against a key holding the wrong kind of value")) {
            try await redis.send("LPUSH", "str", "y")
        }
        do {
            _ = try await redis.send("NOSUCHCOMMAND")
            Issue.record("expected an error reply")
        } catch let error as RedisError {
            #expect(error.serverCode == "ERR")
            #expect(!error.isConnectionProblem)
        }
        // A pipeline reads every reply, then throws the first error: the commands after it ran.
        var commands = (0..<10).map { RedisCommand("RPUSH", "checked", String($0)) }
        commands.insert(RedisCommand("INCR", "checked"), at: 5)
        await #expect(throws: RedisError.self) { try await redis.pipeline(commands) }
        #expect(try await redis.send("LLEN", "checked").int == 10)
        // Or keeps them in place.
        var more = (0..<1_000).map { RedisCommand("RPUSH", "pipe", String($0)) }
        more.insert(RedisCommand("NOSUCHCOMMAND"), at: 500)
        let replies = try await redis.pipelineKeepingErrors(more)
        #expect(replies.count == 1_001)
        #expect(replies[0] == .integer(1))
        #expect(replies[500].serverError?.serverCode == "ERR")
        #expect(replies[1_000] == .integer(1_000))
        #expect(try await redis.send("PING") == .status("PONG"))
    }

    /// 64 concurrent callers, half of them on the client's own event loops, half on Swift's pool,
    /// each with its own stream of single commands and 16-command pipelines: 44,800 replies, every
    /// one the answer to its own command, while the client holds only one connection per loop.
    @Test func pipelinesThousandsOfCommandsAcrossConcurrentCallers() async throws {
        let redis = client()
        defer { redis.close() }
        let loops = group.makeIterator().map { EventLoopExecutor($0) }
        try await withThrowingTaskGroup(of: Int.self) { tasks in
            for caller in 0..<64 {
                let work: @Sendable () async throws -> Int = {
                    var matched = 0
                    for round in 0..<250 {
                        let token = "c\(caller)-r\(round)-" + String(repeating: "x", count: (caller * 7 + round) % 300)
                        if round % 5 == 0 {
                            let expected = (0..<16).map { "\(token)-\($0)" }
                            let replies = try await redis.pipeline(expected.map { RedisCommand("ECHO", $0) })
                            if replies.map(\.string) == expected { matched += 1 }
                        } else if try await redis.send("ECHO", token).string == token {
                            matched += 1
                        }
                        _ = try await redis.send("INCR", "counter-\(caller)")
                    }
                    return matched
                }
                if caller % 2 == 0 {
                    let loop = loops[caller / 2 % loops.count]
                    tasks.addTask(executorPreference: loop) { try await work() }
                } else {
                    tasks.addTask { try await work() }
                }
            }
            var matched = 0
            for try await count in tasks { matched += count }
            #expect(matched == 64 * 250)
        }
        for caller in [0, 31, 63] { #expect(try await redis.send("GET", "counter-\(caller)").int == 250) }
        // One connection per loop carried it all: pipelined, not pooled.
        let clients = try await redis.send("CLIENT", "LIST").string ?? ""
        #expect(clients.split(separator: "\n").count <= 2)
    }

    /// A connection killed with 200 commands in flight: those fail with `connectionLost`, the
    /// next ones succeed on a new connection.
    @Test func killedConnectionIsReplacedWhileRequestsAreInFlight() async throws {
        let oneLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { oneLoop.shutdownGracefully { _ in } }
        let redis = client(group: oneLoop)
        defer { redis.close() }
        let id = try await redis.send("CLIENT", "ID").int!
        // The BLPOP holds the connection; the INCRs behind it are written and wait for their replies.
        let admin = try server.connect()
        func blockedClient() -> Substring? {
            let list = (try? admin.send(RedisCommand("CLIENT", "LIST")).string) ?? ""
            return list.split(separator: "\n").first { $0.contains("cmd=blpop") }
        }
        let blocked = Task { try await redis.send("BLPOP", "nothing-here", "10") }
        #expect(await eventually(seconds: 10) { blockedClient() != nil })
        let inFlight = (0..<200).map { _ in Task { try await redis.send("INCR", "lost") } }
        // Redis holds their bytes, unread, in the blocked client's query buffer: all of them (each
        // `INCR lost` is 24 bytes of RESP), or a command still unwritten at the kill would rightly
        // go out on the next connection and succeed.
        func buffered() -> Int {
            guard let line = blockedClient(), let field = line.split(separator: " ").first(where: { $0.hasPrefix("qbuf=") }) else { return 0 }
            return Int(field.dropFirst("qbuf=".count)) ?? 0
        }
        #expect(await eventually(seconds: 10) { buffered() >= 200 * 24 }, "query buffer: \(buffered()) bytes")
        #expect(try admin.send(RedisCommand("CLIENT", "KILL", "ID", String(id))) == .integer(1))
        for task in [blocked] + inFlight {
            do {
                _ = try await task.value
                Issue.record("a command in flight on a killed connection succeeded")
            } catch let error as RedisError {
                guard case .connectionLost = error else { Issue.record("expected connectionLost, got \(error)"); continue }
            }
        }
        #expect(try await redis.send("PING") == .status("PONG"))
        #expect(try await redis.send("CLIENT", "ID").int != id)
        #expect(try admin.send(RedisCommand("GET", "lost")) == .null)  // blocked behind BLPOP: never ran
    }

    @Test func killedIdleConnectionIsReplacedBeforeTheNextCommand() async throws {
        let redis = client()
        defer { redis.close() }
        let admin = try server.connect()
        _ = try await redis.pipeline([RedisCommand("PING")])
        let before = try admin.send(RedisCommand("CLIENT", "LIST")).string ?? ""
        for line in before.split(separator: "\n") where !line.contains("cmd=client") {
            guard let id = line.split(separator: " ").first?.dropFirst(3) else { continue }
            _ = try admin.send(RedisCommand("CLIENT", "KILL", "ID", String(id)))
        }
        // The loops read the EOF of their idle connections; the next commands go to new ones.
        let ok = await eventually(seconds: 10) { (try? await redis.send("PING")) == .status("PONG") }
        #expect(ok)
        for _ in 0..<20 { #expect(try await redis.send("PING") == .status("PONG")) }
    }

    @Test func survivesARedisRestartWithBackoff() async throws {
        let redis = client(maxBackoffMilliseconds: 200)
        defer { redis.close() }
        _ = try await redis.send("SET", "before", "1")
        server.stop()
        await #expect(throws: RedisError.self) { try await redis.send("PING") }
        // While Redis is down every call fails at once with a typed error.
        do {
            _ = try await redis.send("PING")
        } catch let error as RedisError {
            #expect(error.isConnectionProblem)
        }
        try server.restart()
        let reachable = await eventually(seconds: 10) { (try? await redis.send("PING")) == .status("PONG") }
        #expect(reachable)
        #expect(try await redis.send("GET", "before") == .null)
    }

    @Test func connectionRefusedIsAConnectionFailureAndBacksOff() async throws {
        let port = try freePort()
        let redis = client(RedisConfiguration(port: port), maxBackoffMilliseconds: 60_000)
        defer { redis.close() }
        for attempt in 0..<2 {
            do {
                _ = try await redis.send("PING")
                Issue.record("connected to a port nobody listens on")
            } catch let error as RedisError {
                guard case .connectionFailed(let endpoint, _) = error else { Issue.record("expected connectionFailed, got \(error)"); continue }
                #expect(endpoint == "127.0.0.1:\(port)", "attempt \(attempt)")
            }
        }
    }

    @Test func scriptsAreLoadedAgainAfterNOSCRIPT() async throws {
        let redis = client()
        defer { redis.close() }
        let script = RedisScript(source: "return redis.call('INCRBY', KEYS[1], ARGV[1]) -- \(#function) \(server.port)")
        #expect(try await redis.run(script, keys: ["s"], arguments: RedisCommand(["2"])) == .integer(2))
        let admin = try server.connect()
        _ = try admin.send(RedisCommand("SCRIPT", "FLUSH"))
        #expect(try await redis.run(script, keys: ["s"], arguments: RedisCommand(["3"])) == .integer(5))
        // After a restart too (an empty Redis has no scripts).
        server.stop()
        try server.restart()
        let back = await eventually(seconds: 10) { (try? await redis.send("PING")) == .status("PONG") }
        #expect(back)
        #expect(try await redis.run(script, keys: ["s"], arguments: RedisCommand(["4"])) == .integer(4))
        // A script's own error is a server error, not a lost connection.
        let failing = RedisScript(source: "return redis.error_reply('WRONGTYPE made up') -- \(server.port)")
        await #expect(throws: RedisError.server("WRONGTYPE made up")) { try await redis.run(failing, keys: [], arguments: RedisCommand()) }
    }

    @Test func readTimeoutBreaksTheConnectionAndTheNextCallReconnects() async throws {
        var configuration = server.configuration
        configuration.readTimeoutMilliseconds = 300
        let redis = client(configuration)
        defer { redis.close() }
        let started = ContinuousClock.now
        do {
            _ = try await redis.send("BLPOP", "nothing-here", "5")
            Issue.record("a reply came from a BLPOP on an empty list")
        } catch let error as RedisError {
            guard case .connectionLost = error else { Issue.record("expected connectionLost, got \(error)"); return }
        }
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(try await redis.send("PING") == .status("PONG"))
    }

    @Test func closedClientRefusesCalls() async throws {
        let redis = client()
        #expect(try await redis.send("PING") == .status("PONG"))
        redis.close()
        await #expect(throws: RedisError.closed) { try await redis.send("PING") }
    }
}

@Suite("NIORedisClient: AUTH, SELECT, and a server that is not the primary", .serialized)
final class NIORedisClientLoginTests {
    let server: RedisServer
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    init() throws {
        server = try RedisServer(extraArguments: ["--requirepass", "default-secret", "--user", "alice", "on", ">alice-pw", "~*", "&*", "+@all"])
    }

    deinit {
        try? group.syncShutdownGracefully()
    }

    @Test func userPasswordAndDatabaseFromTheURL() async throws {
        let redis = NIORedisClient(configuration: try RedisConfiguration(url: "redis://alice:alice-pw@127.0.0.1:\(server.port)/3"), group: group)
        defer { redis.close() }
        for _ in 0..<4 { #expect(try await redis.send("ACL", "WHOAMI").string == "alice") }
        _ = try await redis.send("SET", "where", "db3")
        let db3 = try RedisConnection(configuration: RedisConfiguration(url: "redis://:default-secret@127.0.0.1:\(server.port)/3"))
        #expect(try db3.send(RedisCommand("GET", "where")).string == "db3")
        let db0 = try RedisConnection(configuration: RedisConfiguration(url: "redis://:default-secret@127.0.0.1:\(server.port)"))
        #expect(try db0.send(RedisCommand("GET", "where")) == .null)
    }

    @Test func wrongPasswordIsAConnectionFailure() async throws {
        let redis = NIORedisClient(configuration: try RedisConfiguration(url: "redis://alice:wrong@127.0.0.1:\(server.port)"), group: group)
        defer { redis.close() }
        do {
            _ = try await redis.send("PING")
            Issue.record("logged in with a wrong password")
        } catch let error as RedisError {
            guard case .connectionFailed = error else { Issue.record("expected connectionFailed, got \(error)"); return }
        }
    }

    /// A client pointed at a replica: a write answers `READONLY` as `notPrimary`, the connection is
    /// retired, and the next call asks the resolver again, which now names the primary.
    @Test func notPrimaryRetiresTheConnectionAndAsksTheResolverAgain() async throws {
        let primary = try RedisServer()
        let replica = try RedisServer(extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        let resolver = SwitchingResolver(RedisEndpoint(host: "127.0.0.1", port: replica.port))
        let oneLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { oneLoop.shutdownGracefully { _ in } }
        let redis = NIORedisClient(configuration: primary.configuration, group: oneLoop, endpoint: resolver)
        defer { redis.close() }
        do {
            _ = try await redis.send("SET", "k", "v")
            Issue.record("a replica took a write")
        } catch let error as RedisError {
            guard case .notPrimary = error else { Issue.record("expected notPrimary, got \(error)"); return }
            #expect(error.isConnectionProblem)
            #expect(["READONLY", "LOADING"].contains(error.serverCode))
        }
        #expect(resolver.asked == 1)
        resolver.target = RedisEndpoint(host: "127.0.0.1", port: primary.port)
        #expect(try await redis.send("SET", "k", "v") == .status("OK"))
        #expect(resolver.asked == 2)
        #expect(try await redis.send("ROLE").array?.first?.string == "master")
    }
}

/// A resolver a test can point elsewhere, counting how often it was asked.
final class SwitchingResolver: RedisEndpointResolver, @unchecked Sendable {
    private let state: Mutex<(RedisEndpoint, Int)>

    init(_ endpoint: RedisEndpoint) { state = Mutex((endpoint, 0)) }

    var target: RedisEndpoint {
        get { state.withLock { $0.0 } }
        set { state.withLock { $0.0 = newValue } }
    }

    var asked: Int { state.withLock { $0.1 } }

    func endpoint() async throws(RedisError) -> RedisEndpoint {
        state.withLock { state in
            state.1 += 1
            return state.0
        }
    }
}
