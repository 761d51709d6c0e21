import Foundation
import Redis
import Testing
import TestSupport

/// `BAEDAL_PARTITIONS` is fixed for a deployment's life: recorded in `<prefix>:partitions` at the
/// first start, and a process given another number refuses to start (exit 2) instead of reading
/// and writing other keys than the rest. A prefix with a brace would break every hash tag.
@Suite("The partition count of a deployment")
struct PartitionCountTests {
    /// Runs `executable` against `redis` with the given settings until it exits (or `seconds`).
    func run(_ executable: String, _ arguments: [String] = [], redis: RedisServer, _ settings: [String: String]) async throws -> (status: Int32?, log: String) {
        let process = try BaedalProcess(executable, arguments, environment: [
            "BAEDAL_REDIS_URL": redis.url, "BAEDAL_JWT_SECRET": "partition-count-secret-0123456789abcdef",
            "BAEDAL_API_PORT": String(try freePort()), "BAEDAL_PAYMENT_PORT": String(try freePort()),
        ].merging(settings) { $1 })
        let status = await process.waitForExit(seconds: 20)
        if status == nil { process.signal(SIGKILL); _ = await process.waitForExit() }
        return (status, process.log)
    }

    @Test func theFirstStartRecordsTheCountAndAnotherCountRefusesToStart() async throws {
        let redis = try RedisServer()
        let connection = try redis.connect()
        // The first process records it.
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: [
            "BAEDAL_REDIS_URL": redis.url, "BAEDAL_PARTITIONS": "4", "BAEDAL_CONSUMER": "projector-1",
        ])
        defer { worker.signal(SIGKILL) }
        try #require(await eventually { (try? connection.send(RedisCommand("GET", "baedal:partitions")).string) == "4" }, "\(worker.log)")
        // Every partition's stream got the group, under its tag.
        try #require(await eventually {
            (0..<4).allSatisfy { (try? connection.send(RedisCommand("XINFO", "GROUPS", "baedal:{\($0)}:events:order")).array?.count) == 1 }
        }, "\(worker.log)")
        // Another count: exit 2, with both numbers said.
        for executable in ["baedal-api", "baedal-payment", "baedal-worker"] {
            let (status, log) = try await run(executable, executable == "baedal-worker" ? ["projector"] : [], redis: redis, ["BAEDAL_PARTITIONS": "8"])
            #expect(status == 2, "\(executable): \(log)")
            #expect(log.contains("BAEDAL_PARTITIONS is 8") && log.contains("made with 4"), "\(executable): \(log)")
        }
        #expect(try connection.send(RedisCommand("GET", "baedal:partitions")).string == "4", "the record is unchanged")
        #expect(worker.isRunning, "the process that agrees keeps running")
    }

    @Test func aDeploymentFromBeforeTheRecordCountsAsOnePartition() async throws {
        let redis = try RedisServer()
        // A deployment of one untagged partition that never recorded its count.
        _ = try redis.connect().send(RedisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-1", "at", "1", "data", "{}"))
        let (status, log) = try await run("baedal-worker", ["projector"], redis: redis, ["BAEDAL_PARTITIONS": "16"])
        #expect(status == 2, "\(log)")
        #expect(log.contains("BAEDAL_PARTITIONS is 16"), "\(log)")
        #expect(try redis.connect().send(RedisCommand("EXISTS", "baedal:partitions")).int == 0, "nothing recorded by the refused process")
    }

    @Test func aPrefixWithABraceIsRefused() async throws {
        let redis = try RedisServer()
        for prefix in ["shop{1}", "a}b"] {
            let (status, log) = try await run("baedal-worker", ["projector"], redis: redis, ["BAEDAL_PREFIX": prefix])
            #expect(status == 2, "\(log)")
            #expect(log.contains("BAEDAL_PREFIX must not contain"), "\(log)")
        }
    }

    @Test func oneUntaggedPartitionKeepsTheContractsKeys() async throws {
        let redis = try RedisServer()
        let connection = try redis.connect()
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: ["BAEDAL_REDIS_URL": redis.url, "BAEDAL_CONSUMER": "p-1"])
        defer { worker.signal(SIGKILL) }
        try #require(await eventually { (try? connection.send(RedisCommand("XINFO", "GROUPS", "baedal:events:order")).array?.count) == 1 }, "\(worker.log)")
        #expect(try connection.send(RedisCommand("GET", "baedal:partitions")).string == "1")
        let keys = try connection.send(RedisCommand("KEYS", "*")).strings
        #expect(!keys.contains { $0.contains("{") }, "\(keys)")
    }
}
