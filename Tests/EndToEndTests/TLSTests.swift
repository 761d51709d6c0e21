import Foundation
import Redis
import Testing
import TestSupport

/// Issue 23, "TLS to Redis": the whole order life with every daemon on `rediss://` to a
/// redis-server that serves TLS only and requires clients' certificates (a test CA made with the
/// `openssl` command), then a server the configured CA does not vouch for: each daemon and
/// `baedalctl` refuse it with a clear error and exit 2.
@Suite("TLS to Redis", .serialized)
struct TLSTests {
    @Test func theWholeOrderLifeOverRedissAndEveryDaemonRefusesAServerItsCADoesNotVouchFor() async throws {
        let certificates = try TestCertificates()
        let redis = try RedisServer(tls: certificates)
        let deployment = try await Deployment(environment: certificates.environment, redis: redis)
        #expect(deployment.base["BAEDAL_REDIS_URL"] == "rediss://127.0.0.1:\(redis.port)")

        let orderId = try await deployment.wholeLife(customer: "c-tls", rider: "r-tls")
        let customer = try await deployment.customer("c-tls")
        // A cancelled order is refunded: the payment worker's gateway call and its write over TLS.
        let placing = try await deployment.placeOrder(customer)
        let cancelled = try #require(placing.object["orderId"] as? String)
        let paymentId = try #require(placing.object["paymentId"] as? String)
        #expect(try await deployment.call("POST", "/orders/\(cancelled)/cancel", token: customer).status == 200)
        #expect(await eventually(seconds: 15) {
            (try? await deployment.call("GET", "/payments/\(paymentId)", port: deployment.paymentPort))?.object["status"] as? String == "cancelled"
        }, "\(deployment.logs)")
        // The server saw every daemon: it has no clear-text port, so each of them came in over TLS.
        let names = try redis.connect().send(RedisCommand("CLIENT", "LIST")).string ?? ""
        #expect(names.split(separator: "\n").count >= 7, "\(names)")
        let ctl = try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["status"], environment: deployment.base)
        #expect(ctl.status == 0, "\(ctl.output)")

        // The same daemons trusting another CA: refused at start, exit 2, the reason on one line.
        let rogue = deployment.base.merging(["BAEDAL_REDIS_TLS_CA": certificates.rogueCA, "BAEDAL_API_PORT": String(try freePort()),
                                             "BAEDAL_PAYMENT_PORT": String(try freePort()), "BAEDAL_METRICS_PORT": "0"]) { $1 }
        for (executable, arguments) in [("baedal-api", [String]()), ("baedal-payment", []), ("baedal-worker", ["projector"])] {
            let process = try BaedalProcess(executable, arguments, environment: rogue)
            #expect(await process.waitForExit(seconds: 20) == 2, "\(executable): \(process.log)")
            #expect(process.log.contains("\(executable): configuration error: Redis at 127.0.0.1:\(redis.port) refused over TLS: the server's certificate is not trusted"),
                    "\(process.log)")
        }
        let refused = try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["status"], environment: rogue)
        #expect(refused.status == 2 && refused.output.contains("refused over TLS: the server's certificate is not trusted"), "\(refused.output)")

        // Settings that cannot work are told before any connection.
        for (extra, message) in [
            (["BAEDAL_REDIS_TLS_CA": certificates.directory.appendingPathComponent("missing.crt").path], "BAEDAL_REDIS_TLS_CA: cannot read"),
            (["BAEDAL_REDIS_TLS_KEY": ""], "BAEDAL_REDIS_TLS_CERT and BAEDAL_REDIS_TLS_KEY go together"),
            (["BAEDAL_REDIS_URL": "redis://127.0.0.1:\(redis.port)"], "BAEDAL_REDIS_TLS_* are set but BAEDAL_REDIS_URL is redis://127.0.0.1"),
        ] {
            let process = try BaedalProcess("baedal-worker", ["projector"], environment: rogue.merging(extra) { $1 })
            #expect(await process.waitForExit(seconds: 20) == 2, "\(process.log)")
            #expect(process.log.contains(message), "\(process.log)")
        }
        // The deployment kept working through all of it.
        #expect(try await deployment.status(of: orderId, customer) == "completed")
    }

    /// `rediss-cluster://`: three primaries and their replicas, whose clients' ports, replication and bus speak TLS only, sixteen
    /// partitions, every daemon on it.
    @Test func theWholeOrderLifeOnAClusterOverTLS() async throws {
        let certificates = try TestCertificates()
        let cluster = try RedisClusterServers(tls: certificates)  // a replica each: writes wait for one (BAEDAL_MIN_REPLICAS 1)
        defer { cluster.stop() }
        let deployment = try await Deployment.onCluster(cluster, environment: certificates.environment)
        #expect(deployment.base["BAEDAL_REDIS_URL"]?.hasPrefix("rediss-cluster://") == true)
        // Two lives, most likely in different partitions (and so on different primaries).
        try await deployment.wholeLife(customer: "c-tls-a", rider: "r-tls-a")
        try await deployment.wholeLife(customer: "c-tls-b", rider: "r-tls-b", earlier: 1)
        // Every node refusing a worker's TLS (another CA): exit 2 at start, as on one server.
        let rogue = deployment.base.merging(["BAEDAL_REDIS_TLS_CA": certificates.rogueCA]) { $1 }
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: rogue)
        #expect(await worker.waitForExit(seconds: 30) == 2, "\(worker.log)")
        #expect(worker.log.contains("baedal-worker: configuration error:") && worker.log.contains("the server's certificate is not trusted"), "\(worker.log)")
    }
}
