import Contract
import Redis

/// The newest entries of one of the backbone's streams across every partition, merged in time
/// order: what `XRANGE` of the one stream was for a person reading the log before partitions.
/// Each partition's stream is read newest first (`XREVRANGE … COUNT n`, one pipelined round
/// trip, each command on its partition's slot); the merge keeps the newest `count` of them all
/// and gives them oldest first. Entry ids of different partitions come from different clocks
/// (each stream's own), so "time order" is as far as those clocks agree; ties go by partition.
public struct StreamTail: Sendable {
    public struct Entry: Sendable {
        public var partition: Int
        public var id: StreamID
        /// The entry's fields as written, in order.
        public var fields: [(name: String, value: String)]
    }

    public enum Stream: String, Sendable, CaseIterable {
        case order, payment, store, delivery, dead
        case paymentVoids = "payment-voids"
        case notifyWebhook = "notify-webhook"

        func key(in keys: Keys) -> String {
            switch self {
            case .dead: keys.dead
            default: keys.stream(StreamName(rawValue: rawValue)!)
            }
        }
    }

    public let keySpace: KeySpace
    public let redis: any RedisExecutor

    public init(keySpace: KeySpace, redis: any RedisExecutor) {
        self.keySpace = keySpace
        self.redis = redis
    }

    /// The newest `count` entries of `stream` over every partition, oldest first.
    public func newest(_ stream: Stream, count: Int) async throws -> [Entry] {
        guard count > 0 else { return [] }
        let partitions = keySpace.all
        let replies = try await redis.each(partitions.map {
            RedisCommand("XREVRANGE", stream.key(in: $0), "+", "-", "COUNT", String(count))
        })
        var merged: [Entry] = []
        for (partition, reply) in replies.enumerated() {
            if let error = reply.serverError { throw error }
            for item in reply.array ?? [] {
                guard let parts = item.array, parts.count == 2, let text = parts[0].string, let id = StreamID(text) else { continue }
                let fields = parts[1].pairs.map { (name: $0.name.string ?? "", value: $0.value.string ?? "") }
                merged.append(Entry(partition: partition, id: id, fields: fields))
            }
        }
        merged.sort { $0.id != $1.id ? $0.id < $1.id : $0.partition < $1.partition }
        return Array(merged.suffix(count))
    }
}
