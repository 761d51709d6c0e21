import NIOCore
import NIOPosix
import Redis
import RedisNIO
import Testing
import TestSupport

/// `rediss://` on the event loops' connections (swift-nio-ssl), against a redis-server serving
/// TLS only with clients' certificates required.
@Suite("TLS to Redis, NIO client", .serialized)
final class NIORedisTLSTests {
    let certificates: TestCertificates
    let server: RedisServer
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    init() throws {
        certificates = try TestCertificates()
        server = try RedisServer(tls: certificates)
    }

    deinit { try? group.syncShutdownGracefully() }

    func client(_ url: String? = nil, tls: RedisTLS? = nil) throws -> NIORedisClient {
        var configuration = try RedisConfiguration(url: url ?? "rediss://127.0.0.1:\(server.port)")
        configuration.tls = tls ?? certificates.clientTLS
        configuration.connectTimeoutMilliseconds = 1_000
        return NIORedisClient(configuration: configuration, group: group)
    }

    @Test func concurrentCommandsAndBigRepliesGoThroughTLS() async throws {
        let redis = try client()
        defer { redis.close() }
        #expect(try await redis.send("PING") == .status("PONG"))
        let big = String(repeating: "배달", count: 400_000)
        #expect(try await redis.send("SET", "big", big) == .status("OK"))
        #expect(try await redis.send("GET", "big").string == big)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for _ in 0..<8 {
                tasks.addTask { for _ in 0..<250 { _ = try await redis.send("INCR", "counter") } }
            }
            try await tasks.waitForAll()
        }
        #expect(try await redis.send("GET", "counter").string == "2000")
        // The server's own view: the client came in over TLS with our client certificate.
        #expect(try server.connect().send(RedisCommand("GET", "counter")).string == "2000")
    }

    @Test func aServerTheCADoesNotVouchForIsRefused() async throws {
        let rogue = try client(tls: RedisTLS(caFile: certificates.rogueCA, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey))
        defer { rogue.close() }
        do {
            _ = try await rogue.send("PING")
            Issue.record("a server signed by another CA was accepted")
        } catch RedisError.tlsRefused(let endpoint, let reason) {
            #expect(endpoint == "127.0.0.1:\(server.port)")
            #expect(reason.contains("not trusted"), "\(reason)")
        }
        // Without a client certificate: refused by the server after the handshake (TLS 1.3); a
        // try whose alert was lost to the server's reset is a connection failure; up to a hundred
        // tries until one tells it, as in RedisTLSTests (ten in a row once all lost it there).
        var refusal: String?
        for _ in 0..<100 where refusal == nil {
            let anonymous = try client(tls: RedisTLS(caFile: certificates.ca))
            defer { anonymous.close() }
            do {
                _ = try await anonymous.send("PING")
                Issue.record("a connection without a client certificate was made")
                break
            } catch RedisError.tlsRefused(_, let reason) {
                refusal = reason
            } catch RedisError.connectionFailed {
            }
        }
        #expect(refusal?.contains("BAEDAL_REDIS_TLS_CERT") == true, "\(refusal ?? "none")")
        // (A certificate naming the IP address reached is taken for any host name that resolves
        // to it: swift-nio-ssl's RFC 6125 check matches IP SANs against the peer's address.)
    }
}
