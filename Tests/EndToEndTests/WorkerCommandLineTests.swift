import Foundation
import Redis
import Testing
import TestSupport

@Suite("baedal-worker on the command line", .serialized)
struct WorkerCommandLineTests {
    @Test func unknownPolicyIsAOneLineErrorWithExitCodeTwo() async throws {
        let worker = try BaedalProcess("baedal-worker", ["bakery"], environment: [:])
        #expect(await worker.waitForExit() == 2)
        let lines = worker.log.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("unknown policy 'bakery'") == true)
        #expect(lines.first?.contains("projector") == true)
    }

    @Test func missingPolicyIsAOneLineUsageErrorWithExitCode64() async throws {
        let worker = try BaedalProcess("baedal-worker", [], environment: [:])
        #expect(await worker.waitForExit() == 64)
        #expect(worker.log.split(separator: "\n").count == 1 && worker.log.contains("POLICY"), "\(worker.log)")
    }

    @Test(arguments: ["localhost:6379", "redis://h:notaport", "http://127.0.0.1", "redis-sentinel://h:26379",
                      "redis-sentinel://h:26379,,h2:26379/baedal", "redis-sentinel://h:x/baedal", "redis-sentinel://:%zz@h:1/baedal"])
    func badRedisURLIsAOneLineErrorWithExitCodeTwo(_ url: String) async throws {
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: ["BAEDAL_REDIS_URL": url])
        #expect(await worker.waitForExit() == 2)
        let lines = worker.log.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("BAEDAL_REDIS_URL") == true)
    }

    @Test(arguments: [("BAEDAL_MIN_REPLICAS", "-1"), ("BAEDAL_MIN_REPLICAS", "many"), ("BAEDAL_RETRY_FIRST_MS", "0")])
    func badReplicationOrRetrySettingIsAOneLineErrorWithExitCodeTwo(_ setting: (String, String)) async throws {
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: [setting.0: setting.1])
        #expect(await worker.waitForExit() == 2)
        #expect(worker.log.split(separator: "\n").count == 1 && worker.log.contains(setting.0), "\(worker.log)")
    }

    @Test func badNumberSettingIsAOneLineErrorWithExitCodeTwo() async throws {
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: ["BAEDAL_MAX_DELIVERIES": "-3"])
        #expect(await worker.waitForExit() == 2)
        #expect(worker.log.contains("BAEDAL_MAX_DELIVERIES"))
    }

    @Test func redisDownAtStartIsRetriedWithBackoffUntilItComes() async throws {
        let server = try RedisServer(start: false)
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: [
            "BAEDAL_REDIS_URL": server.url, "BAEDAL_CONSUMER": "late",
        ])
        let complaining = await eventually(seconds: 10) { worker.log.contains("unreachable") }
        #expect(complaining, "says that Redis is unreachable")
        #expect(worker.isRunning)
        try server.start()
        let connection = try server.connect()
        _ = try connection.send(RedisCommand(["XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o1",
                                              "at", "1", "data", #"{"items":[{"foodId":"bibimbap","qty":2}]}"#]))
        let counted = await eventually(seconds: 20) {
            (try? connection.send(RedisCommand("HGET", "baedal:dashboard:food-orders", "bibimbap")).int) == 2
        }
        #expect(counted, "\(worker.log)")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit() == 0)
    }

    @Test func sigtermWhileRedisIsDownStillExitsZero() async throws {
        let server = try RedisServer(start: false)
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: ["BAEDAL_REDIS_URL": server.url])
        #expect(await eventually(seconds: 10) { worker.log.contains("unreachable") }, "the worker has tried Redis and found it down\n\(worker.log)")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(seconds: 10) == 0, "\(worker.log)")
    }
}
