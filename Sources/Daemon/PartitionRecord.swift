import Contract
import Logging
import Redis

/// The deployment's partition count, recorded at its first start (`<prefix>:partitions`, a
/// string) and held against every process after: a process given another `BAEDAL_PARTITIONS`
/// would read and write other keys than the rest, splitting the deployment's data, so it refuses
/// to start (exit 2).
///
/// A deployment older than the record (its untagged order stream exists, no record) counts as
/// one untagged partition.
public enum PartitionRecord {
    /// What the record says against what the process was given.
    public struct Mismatch: Error, Sendable, CustomStringConvertible {
        public var key: String
        public var recorded: String
        public var given: Int
        public var description: String {
            "BAEDAL_PARTITIONS is \(given), but this deployment was made with \(recorded) (\(key)); a partition count is fixed for a deployment's life"
        }
    }

    /// Records the count if none is (unless `recording` is false: a tool that only looks, such
    /// as `baedalctl`, leaves the record to the deployment's processes), or checks it against
    /// the record.
    public static func check(_ keySpace: KeySpace, using redis: any RedisExecutor, recording: Bool = true) async throws {
        let key = keySpace.partitionCount
        let given = String(keySpace.partitions)
        let replies = try await redis.pipeline([RedisCommand("GET", key)])
        if let recorded = replies.first?.string {
            guard recorded == given else { throw Mismatch(key: key, recorded: recorded, given: keySpace.partitions) }
            return
        }
        if keySpace.tagged, try await redis.send(RedisCommand("EXISTS", Keys(prefix: keySpace.prefix).stream(.order))).int == 1 {
            throw Mismatch(key: key, recorded: "1 (its untagged streams exist and nothing is recorded)", given: keySpace.partitions)
        }
        guard recording else { return }
        _ = try await redis.send(RedisCommand("SET", key, given, "NX"))
        if let recorded = try await redis.send(RedisCommand("GET", key)).string, recorded != given {
            throw Mismatch(key: key, recorded: recorded, given: keySpace.partitions)  // another process recorded first
        }
    }

    /// At a process's start: checks the record, and while Redis cannot be reached keeps trying in
    /// the background (a process starts while Redis is down); a mismatch ends the process with 2,
    /// and so does a server whose TLS is refused (an untrusted certificate: no retry mends it).
    public static func hold(_ keySpace: KeySpace, redis configuration: RedisConfiguration, name: String, logger: Logger) async {
        let redis = RedisExecutors.pool(configuration, size: 1, logger: logger)
        do {
            try await check(keySpace, using: redis)
            redis.close()
        } catch let mismatch as Mismatch {
            ProcessSupport.fail("\(name): \(mismatch)")
        } catch {
            if case .tlsRefused? = error as? RedisError { ProcessSupport.fail("\(name): configuration error: \(error)") }
            logger.warning("the partition count could not be checked yet; checking again in the background", metadata: ["error": "\(error)"])
            Task.detached {
                var delay = 1
                while true {
                    try? await Task.sleep(for: .seconds(delay))
                    do {
                        try await check(keySpace, using: redis)
                        redis.close()
                        return
                    } catch let mismatch as Mismatch {
                        ProcessSupport.fail("\(name): \(mismatch)")
                    } catch {
                        if case .tlsRefused? = error as? RedisError { ProcessSupport.fail("\(name): configuration error: \(error)") }
                        delay = min(delay * 2, 30)
                    }
                }
            }
        }
    }
}
