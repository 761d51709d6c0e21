import Foundation
import Redis
import Testing
import TestSupport

/// `rediss://` on the blocking hiredis connection (OpenSSL under hiredis's reader; Debian's
/// hiredis 0.14 has no TLS): a redis-server serving TLS only, clients' certificates required.
@Suite("TLS to Redis, blocking connection", .serialized)
struct RedisTLSTests {
    let certificates: TestCertificates
    let server: RedisServer

    init() throws {
        certificates = try TestCertificates()
        server = try RedisServer(tls: certificates)
    }

    func configuration(_ url: String? = nil, tls: RedisTLS? = nil) throws(RedisError) -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url ?? "rediss://127.0.0.1:\(server.port)")
        configuration.tls = tls ?? certificates.clientTLS
        configuration.readTimeoutMilliseconds = 3_000
        return configuration
    }

    @Test func theURLSaysTLSAndLogsSaySoToo() throws {
        let plain = try RedisConfiguration(url: "redis://127.0.0.1:6379")
        #expect(plain.tls == nil)
        for url in ["rediss://u:p@10.0.0.1:6380/2", "rediss-sentinel://10.0.0.1:26379,10.0.0.2/main", "rediss-cluster://10.0.0.1:7000,10.0.0.2:7001"] {
            let configuration = try RedisConfiguration(url: url)
            #expect(configuration.tls == RedisTLS(), "\(url)")
            #expect(configuration.description.hasPrefix("rediss"), "\(configuration)")
            #expect(!configuration.description.contains(":p@"))
        }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redisss://127.0.0.1") }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "https://127.0.0.1") }
        #expect(RedisTLS.isIPAddress("127.0.0.1") && RedisTLS.isIPAddress("::1") && !RedisTLS.isIPAddress("redis.internal")
            && !RedisTLS.isIPAddress("1.2.3.400") && !RedisTLS.isIPAddress("1.2.3"))
    }

    @Test func commandsPipelinesAndBigRepliesGoThroughTLS() throws {
        let connection = try RedisConnection(configuration: configuration())
        #expect(try connection.send(RedisCommand("PING")) == .status("PONG"))
        // Bigger than many TLS records (16 kB each) and than the shim's read buffer, both ways.
        let big = String(repeating: "배달", count: 400_000)
        #expect(try connection.send(RedisCommand("SET", "big", big)) == .status("OK"))
        #expect(try connection.send(RedisCommand("GET", "big")).string == big)
        let replies = try connection.pipeline((0..<2_000).map { _ in RedisCommand("INCR", "counter") })
        #expect(replies.count == 2_000 && replies.last == .integer(2_000))
        #expect(try connection.send(RedisCommand("GET", "counter")).string == "2000")
        // An error reply is a reply: the session goes on.
        #expect(throws: RedisError.self) { try connection.send(RedisCommand("INCR", "big")) }
        #expect(try connection.send(RedisCommand("PING")) == .status("PONG"))
    }

    @Test func anIdleSessionIsOpenAndAKilledOneIsSeenClosedBeforeTheNextCommand() throws {
        let connection = try RedisConnection(configuration: configuration())
        let id = try #require(try connection.send(RedisCommand("CLIENT", "ID")).int)
        // TLS 1.3 session tickets may still sit unread on the socket: not a close.
        #expect(!connection.peerHasClosed)
        #expect(try connection.send(RedisCommand("PING")) == .status("PONG"))
        #expect(!connection.peerHasClosed)
        _ = try server.connect().send(RedisCommand("CLIENT", "KILL", "ID", String(id)))
        #expect(eventuallySync { connection.peerHasClosed })
    }

    @Test func aBlockedReadIsInterrupted() throws {
        var patient = try configuration()
        patient.readTimeoutMilliseconds = 15_000  // far beyond the bound below: only the interrupt ends it in time
        let connection = try RedisConnection(configuration: patient)
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { connection.interrupt() }
        do {
            _ = try connection.send(RedisCommand("BLPOP", "nothing", "10"))
            Issue.record("the blocked read was not interrupted")
        } catch .connectionLost {
        } catch {
            Issue.record("expected connectionLost, got \(error)")
        }
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func aServerTheCADoesNotVouchForIsRefusedAsAConfigurationError() throws {
        let rogue = RedisTLS(caFile: certificates.rogueCA, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey)
        if let refusal = tlsRefusal(try configuration(tls: rogue), "a server signed by another CA was accepted") {
            #expect(refusal.endpoint == "127.0.0.1:\(server.port)")
            #expect(refusal.reason.contains("not trusted"), "\(refusal.reason)")
        }
    }

    @Test func aServerWhoseCertificateNamesAnotherHostIsRefused() throws {
        // The certificate names 127.0.0.1 only; `localhost` reaches the same server.
        if let refusal = tlsRefusal(try configuration("rediss://localhost:\(server.port)"), "a certificate for 127.0.0.1 was accepted for localhost") {
            #expect(refusal.reason.contains("not trusted") && refusal.reason.contains("mismatch"), "\(refusal.reason)")
        }
    }

    @Test func unusableFilesAndAClearTextServerAreClearErrors() throws {
        let missing = RedisTLS(caFile: certificates.directory.appendingPathComponent("missing.crt").path)
        if let refusal = tlsRefusal(try configuration(tls: missing), "a missing CA file was accepted") {
            #expect(refusal.reason.contains("cannot read the CA certificates in") && refusal.reason.contains("missing.crt"), "\(refusal.reason)")
        }
        // No client certificate: this server requires one, and says so after the handshake (TLS 1.3),
        // with an alert our first command reads. The server may instead reset the connection with
        // that command unread (the alert lost with it): such a try is a connection failure, and
        // a daemon's next try tells the refusal. On a quiet machine every try tells it (200 of 200);
        // with the cores busy about 60% do (120 of 200), and under a whole parallel test run ten
        // tries in a row once all lost it: up to a hundred tries, until one tells it.
        var refusal: String?
        for _ in 0..<100 where refusal == nil {
            do throws(RedisError) {
                _ = try RedisConnection(configuration: configuration(tls: RedisTLS(caFile: certificates.ca)))
                Issue.record("a connection without a client certificate was made")
                break
            } catch .tlsRefused(_, let reason) {
                refusal = reason
            } catch .connectionFailed(_, let reason) {
                #expect(reason.contains("reset") || reason.contains("closed"), "\(reason)")
            } catch {
                Issue.record("expected tlsRefused, got \(error)")
            }
        }
        #expect(refusal?.contains("TLS refused by the server") == true && refusal?.contains("BAEDAL_REDIS_TLS_CERT") == true, "\(refusal ?? "none")")
        // TLS to a clear-text server: it waits for the end of a line that never comes.
        let plain = try RedisServer()
        do throws(RedisError) {
            var clear = try configuration("rediss://127.0.0.1:\(plain.port)")
            clear.connectTimeoutMilliseconds = 500
            _ = try RedisConnection(configuration: clear)
            Issue.record("a clear-text server was accepted over rediss://")
        } catch .connectionFailed(_, let reason) {
            #expect(reason.contains("timed out (does the server speak TLS on this port?)"), "\(reason)")
        } catch {
            Issue.record("expected connectionFailed, got \(error)")
        }
    }
}

/// `rediss-sentinel://` and `rediss-cluster://`: the Sentinels, the primaries, the replicas and the
/// cluster bus all speak TLS only; the clients find the primary, follow a failover, and route by
/// the slot map over TLS.
@Suite("TLS to Redis through Sentinels and a cluster", .serialized)
struct RedisTLSTopologyTests {
    @Test func aSentinelURLOverTLSFindsThePrimaryAndFollowsAFailover() throws {
        let certificates = try TestCertificates()
        let ha = try RedisHighAvailability(replicas: 1, sentinels: 3, tls: certificates)
        #expect(ha.url.hasPrefix("rediss-sentinel://"))
        var configuration = try RedisConfiguration(url: ha.url)
        configuration.tls = certificates.clientTLS
        let first = try RedisConnection(configuration: configuration)
        #expect(first.primary?.port == ha.servers[0].port)
        #expect(try first.send(RedisCommand("SET", "k", "before")) == .status("OK"))
        let old = try ha.killPrimary()
        let promoted = try #require(ha.waitForNewPrimary(other: old))
        var reached: RedisConnection?
        #expect(eventuallySync(seconds: 20) {
            reached = try? RedisConnection(configuration: configuration)
            return reached?.primary?.port == promoted
        })
        #expect(try reached?.send(RedisCommand("SET", "k", "after")) == .status("OK"))
        // Every Sentinel refusing our TLS (another CA): a TLS refusal, not "no Sentinel answered".
        var rogue = configuration
        rogue.tls = RedisTLS(caFile: certificates.rogueCA, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey)
        if let refusal = tlsRefusal(rogue, "Sentinels signed by another CA were trusted") {
            #expect(refusal.reason.contains("not trusted"), "\(refusal.reason)")
        }
    }

    @Test func aClusterURLOverTLSRoutesEveryPartitionToItsPrimary() async throws {
        let certificates = try TestCertificates()
        let cluster = try RedisClusterServers(primaries: 3, replicasPerPrimary: 0, tls: certificates)
        #expect(cluster.url.hasPrefix("rediss-cluster://"))
        let configuration = try RedisConfiguration(url: cluster.url)
        #expect(configuration.tls != nil)
        var trusted = configuration
        trusted.tls = certificates.clientTLS
        let redis = RedisExecutors.pool(trusted, size: 2)
        defer { redis.close() }
        for partition in 0..<16 {
            _ = try await redis.send(RedisCommand("SET", "baedal:{\(partition)}:k", String(partition)))
        }
        for partition in 0..<16 {
            #expect(try await redis.send(RedisCommand("GET", "baedal:{\(partition)}:k")).string == String(partition))
        }
        // Every primary holds some: the map came over TLS with each node's TLS port.
        let primaries = try cluster.primaryPorts()
        #expect(primaries.count == 3)
        for port in primaries {
            #expect((try cluster.connect(port: port).send(RedisCommand("DBSIZE")).int ?? 0) > 0, "\(port)")
        }
        // Every node refusing our TLS (another CA): a TLS refusal.
        var rogue = configuration
        rogue.tls = RedisTLS(caFile: certificates.rogueCA, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey)
        if let refusal = tlsRefusal(rogue, "nodes signed by another CA were trusted") {
            #expect(refusal.reason.contains("not trusted"), "\(refusal.reason)")
        }
    }
}

/// Why a connection with this configuration is refused over TLS (`RedisError.tlsRefused`); nil,
/// with an issue recorded, when it connects (`accepted` says what should not have been) or fails
/// another way.
private func tlsRefusal(_ configuration: RedisConfiguration, _ accepted: Comment) -> (endpoint: String, reason: String)? {
    do throws(RedisError) {
        _ = try RedisConnection(configuration: configuration)
        Issue.record(accepted)
    } catch .tlsRefused(let endpoint, let reason) {
        return (endpoint, reason)
    } catch {
        Issue.record("expected tlsRefused, got \(error)")
    }
    return nil
}

private func eventuallySync(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return false
}
