import Redis
import Testing
import TestSupport

@Suite("Redis client against a real redis-server", .serialized)
final class RedisClientTests {
    let server: RedisServer

    init() throws {
        server = try RedisServer()
    }

    @Test func repliesOfEveryKind() throws {
        let connection = try server.connect()
        #expect(try connection.send(RedisCommand("PING")) == .status("PONG"))
        #expect(try connection.send(RedisCommand("SET", "k", "v")) == .status("OK"))
        #expect(try connection.send(RedisCommand("GET", "k")) == .bulk(Array("v".utf8)))
        #expect(try connection.send(RedisCommand("GET", "missing")) == .null)
        #expect(try connection.send(RedisCommand("INCRBY", "n", "-42")) == .integer(-42))
        #expect(try connection.send(RedisCommand("GET", "n")).int == -42)
        _ = try connection.send(RedisCommand("RPUSH", "list", "a", "", "c"))
        #expect(try connection.send(RedisCommand("LRANGE", "list", "0", "-1")) == .array([.bulk(Array("a".utf8)), .bulk([]), .bulk(Array("c".utf8))]))
        // Nested arrays and nulls inside arrays.
        let nested = try connection.send(RedisCommand("EVAL", "return {1, {'x', false}, 'y'}", "0"))
        #expect(nested == .array([.integer(1), .array([.bulk(Array("x".utf8)), .null]), .bulk(Array("y".utf8))]))
    }

    @Test func binarySafeArguments() throws {
        let connection = try server.connect()
        let tricky: [UInt8] = Array("a\u{0}b\r\nc %s %d %b\n".utf8) + [0xFF, 0x00, 0xFE]
        var set = RedisCommand(["SET"])
        set.append(bytes: tricky)  // as key
        set.append(bytes: tricky)  // and as value
        #expect(try connection.send(set) == .status("OK"))
        #expect(try connection.send(RedisCommand(bytes: [Array("GET".utf8), tricky])) == .bulk(tricky))
        #expect(try connection.send(RedisCommand(bytes: [Array("STRLEN".utf8), tricky])) == .integer(Int64(tricky.count)))
        // An empty argument is an argument, not a missing one.
        #expect(try connection.send(RedisCommand("SET", "empty", "")) == .status("OK"))
        #expect(try connection.send(RedisCommand("GET", "empty")) == .bulk([]))
    }

    @Test func readingRepliesInPlace() throws {
        let connection = try server.connect()
        _ = try connection.send(RedisCommand("RPUSH", "view", "a", "", "c\u{0}d"))
        let items = try connection.send(RedisCommand("LRANGE", "view", "0", "-1")) { reply throws(RedisError) in
            (0..<reply.count).map { reply[$0].bytes }
        }
        #expect(items == [Array("a".utf8), [], Array("c\u{0}d".utf8)])
        let status = try connection.send(RedisCommand("PING")) { reply throws(RedisError) in reply.string }
        #expect(status == "PONG")
        // Error replies are thrown with their message, so callers can tell NOGROUP from the rest.
        do {
            _ = try connection.send(RedisCommand("XREADGROUP", "GROUP", "nogroup", "c", "STREAMS", "nostream", ">")) { reply throws(RedisError) in reply.count }
            Issue.record("an error reply was read as a value")
        } catch {
            #expect(error.serverCode == "NOGROUP")
        }
    }

    @Test func pipelineReadsEveryReplyThenThrowsTheFirstError() throws {
        let connection = try server.connect()
        var commands = (0..<10).map { RedisCommand("RPUSH", "checked", String($0)) }
        commands.insert(RedisCommand("INCR", "checked"), at: 5)  // WRONGTYPE in the middle
        #expect(throws: RedisError.self) { try connection.pipeline(commands) }
        // Every reply was read: the connection is in step, and the commands after the error ran.
        #expect(try connection.send(RedisCommand("PING")) == .status("PONG"))
        #expect(try connection.send(RedisCommand("LLEN", "checked")).int == 10)
    }

    @Test func pipelineKeepsOrderAndErrorsInPlace() throws {
        let connection = try server.connect()
        var commands = (0..<1_000).map { RedisCommand("RPUSH", "pipe", String($0)) }
        commands.insert(RedisCommand("NOSUCHCOMMAND"), at: 500)
        let replies = try connection.pipelineKeepingErrors(commands)
        #expect(replies.count == 1_001)
        #expect(replies[0] == .integer(1))
        #expect(replies[500].serverError?.serverCode == "ERR")
        #expect(replies[1_000] == .integer(1_000))
        #expect(try connection.send(RedisCommand("LINDEX", "pipe", "999")).string == "999")
    }

    @Test func errorRepliesAreTypedAndLeaveTheConnectionUsable() throws {
        let connection = try server.connect()
        _ = try connection.send(RedisCommand("SET", "str", "x"))
        #expect(throws: RedisError.server("WRONGTYPE Operation against a key holding the wrong kind of value")) {
            try connection.send(RedisCommand("LPUSH", "str", "y"))
        }
        do {
            _ = try connection.send(RedisCommand("XGROUP", "CREATE", "nostream", "g", "0"))
            Issue.record("expected an error reply")
        } catch {
            #expect(error.serverCode == "ERR")
            #expect(!error.isConnectionProblem)
        }
        #expect(connection.isBroken == false)
        #expect(try connection.send(RedisCommand("PING")) == .status("PONG"))
    }

    @Test func connectionRefusedIsAConnectionFailure() throws {
        let port = try freePort()
        do {
            _ = try RedisConnection(configuration: RedisConfiguration(port: port))
            Issue.record("connected to a port nobody listens on")
        } catch {
            guard case .connectionFailed(let endpoint, _) = error else {
                Issue.record("expected connectionFailed, got \(error)")
                return
            }
            #expect(endpoint == "127.0.0.1:\(port)")
        }
    }

    @Test func clientReplacesAKilledConnection() async throws {
        let client = RedisClient(configuration: server.configuration, label: "test")
        defer { client.close() }
        let id = try await client.send("CLIENT", "ID").int!
        let admin = try server.connect()
        #expect(try admin.send(RedisCommand("CLIENT", "KILL", "ID", String(id))) == .integer(1))
        // The killed socket is noticed before the next command is sent: the call just works.
        #expect(try await client.send("PING") == .status("PONG"))
        let newId = try await client.send("CLIENT", "ID").int!
        #expect(newId != id)
    }

    @Test func clientSurvivesARedisRestart() async throws {
        let client = RedisClient(configuration: server.configuration, label: "test", maxBackoffMilliseconds: 200)
        defer { client.close() }
        _ = try await client.send("SET", "before", "1")
        server.stop()
        await #expect(throws: RedisError.self) { try await client.send("PING") }
        try server.restart()
        let reachable = await eventually(seconds: 10) { (try? await client.send("PING")) == .status("PONG") }
        #expect(reachable)
        #expect(try await client.send("GET", "before") == .null)  // no persistence: a new, empty Redis
    }

    @Test func interruptWakesABlockedRead() async throws {
        let client = RedisClient(configuration: server.configuration, label: "test")
        defer { client.close() }
        let started = ContinuousClock.now
        let blocked = Task { try await client.send("BLPOP", "nothing-here", "10") }
        let admin = try server.connect()
        #expect(await eventually(seconds: 5, every: 10) { (try? admin.blockedClients()) == 1 }, "the BLPOP is blocked in Redis")
        client.interrupt()
        await #expect(throws: RedisError.self) { try await blocked.value }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try await client.send("PING") == .status("PONG"))
    }

    @Test func poolRunsCommandsConcurrently() async throws {
        let pool = RedisPool(configuration: server.configuration, size: 4)
        defer { pool.close() }
        let admin = try server.connect()
        // One connection is blocked in Redis until the test releases it (120 s at most: a slow machine
        // must not time it out first); the other three keep serving commands meanwhile.
        let blocked = Task { try await pool.send("BLPOP", "pool-wait", "120") }
        #expect(await eventually(seconds: 5, every: 10) { (try? admin.blockedClients()) == 1 }, "the BLPOP is blocked in Redis")
        // Three at a time, one per free connection: the least busy client is always a free one.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<3 {
                group.addTask {
                    for index in stride(from: lane, to: 200, by: 3) { _ = try await pool.send("INCR", "pool-counter-\(index % 7)") }
                }
            }
            try await group.waitForAll()
        }
        var total = 0
        for index in 0..<7 { total += try await pool.send("GET", "pool-counter-\(index)").int ?? 0 }
        #expect(total == 200)
        // All of them were answered while the BLPOP still held its connection: none waited behind it.
        #expect(try admin.blockedClients() == 1, "the BLPOP is still blocked after the 200 INCRs and 7 GETs were answered")
        _ = try admin.send(RedisCommand("RPUSH", "pool-wait", "released"))
        #expect(try await blocked.value == .array([.bulk(Array("pool-wait".utf8)), .bulk(Array("released".utf8))]), "the BLPOP got what the test pushed")
    }
}

@Suite("Redis AUTH and SELECT", .serialized)
final class RedisAuthTests {
    let server: RedisServer

    init() throws {
        server = try RedisServer(extraArguments: ["--requirepass", "default-secret", "--user", "alice", "on", ">alice-pw", "~*", "&*", "+@all"])
    }

    @Test func userPasswordAndDatabaseFromTheURL() throws {
        let connection = try RedisConnection(configuration: RedisConfiguration(url: "redis://alice:alice-pw@127.0.0.1:\(server.port)/3"))
        #expect(try connection.send(RedisCommand("ACL", "WHOAMI")).string == "alice")
        _ = try connection.send(RedisCommand("SET", "where", "db3"))
        let other = try RedisConnection(configuration: RedisConfiguration(url: "redis://:default-secret@127.0.0.1:\(server.port)/3"))
        #expect(try other.send(RedisCommand("GET", "where")).string == "db3")
        let db0 = try RedisConnection(configuration: RedisConfiguration(url: "redis://:default-secret@127.0.0.1:\(server.port)"))
        #expect(try db0.send(RedisCommand("GET", "where")) == .null)
    }

    @Test func wrongPasswordFailsToConnect() throws {
        #expect(throws: RedisError.self) {
            try RedisConnection(configuration: RedisConfiguration(url: "redis://alice:wrong@127.0.0.1:\(server.port)"))
        }
        do {
            _ = try RedisConnection(configuration: RedisConfiguration(url: "redis://127.0.0.1:\(server.port)"))
                .send(RedisCommand("GET", "x"))
            Issue.record("an unauthenticated command succeeded")
        } catch {
            #expect(error.serverCode == "NOAUTH")
        }
    }
}
