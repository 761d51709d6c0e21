import ArgumentParser
import Backbone
import Contract
import Daemon
import Logging
import Redis

/// The deployment baedalctl talks to, from the same environment as the daemons: its key space
/// (`BAEDAL_PREFIX`, `BAEDAL_PARTITIONS`) and an executor that, on `redis-cluster://`, routes
/// each command to its slot's primary (a command spanning partitions is sent as one command per
/// partition, never one of several slots).
struct Deployment {
    let environment: BaedalEnvironment
    let redis: any ClosableRedisExecutor

    /// Reads the environment (a usage error when it is wrong), reaches Redis (exit 3 when it
    /// cannot, 2 when its TLS is refused) and holds `BAEDAL_PARTITIONS` against the deployment's record (exit 2 when they
    /// differ: the tool would read other keys than the deployment writes). Close `redis` when done.
    static func connect() async throws -> Deployment {
        let environment: BaedalEnvironment
        do {
            environment = try BaedalEnvironment()
        } catch {
            throw ValidationError(error.description)
        }
        do {
            try RedisConnection(configuration: environment.redis).close()
        } catch .tlsRefused(let endpoint, let reason) {
            FileHandleStandardError.write("baedalctl: \(RedisError.tlsRefused(endpoint: endpoint, reason: reason)) (check BAEDAL_REDIS_TLS_CA and the URL)\n")
            throw ExitCode(2)
        } catch {
            FileHandleStandardError.write("baedalctl: cannot reach Redis at \(environment.redis): \(error)\n")
            throw ExitCode(3)
        }
        var logger = Logger(label: "baedalctl.redis")
        logger.logLevel = .error
        let redis = RedisExecutors.pool(environment.redis, size: 2, logger: logger)
        do {
            try await PartitionRecord.check(environment.keySpace, using: redis, recording: false)
        } catch let mismatch as PartitionRecord.Mismatch {
            redis.close()
            FileHandleStandardError.write("baedalctl: \(mismatch)\n")
            throw ExitCode(2)
        } catch {
            redis.close()
            FileHandleStandardError.write("baedalctl: cannot reach Redis at \(environment.redis): \(error)\n")
            throw ExitCode(3)
        }
        return Deployment(environment: environment, redis: redis)
    }

    /// Every partition's keys.
    var keySpace: KeySpace { environment.keySpace }

    /// The keys that belong to no partition (stores, the autoscaler's view).
    var keys: Keys { environment.keys }

    /// Runs `body` with the deployment, its executor closed after it.
    static func with<T>(_ body: (Deployment) async throws -> T) async throws -> T {
        let deployment = try await connect()  // exit 3 when Redis is unreachable, 2 on another partition count
        defer { deployment.redis.close() }
        return try await body(deployment)
    }
}

/// `12.3s`, `450ms`: an idle time as a person reads it.
func humanDuration(milliseconds: Int) -> String {
    if milliseconds < 1_000 { return "\(milliseconds)ms" }
    if milliseconds < 120_000 { return "\(milliseconds / 1000).\((milliseconds % 1000) / 100)s" }
    if milliseconds < 7_200_000 { return "\(milliseconds / 60_000)m" }
    return "\(milliseconds / 3_600_000)h"
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
