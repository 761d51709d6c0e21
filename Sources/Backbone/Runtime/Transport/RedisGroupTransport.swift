import Contract
import Logging
import Numbers
import Redis

/// The consumer runtime's transport over Redis Streams: a blocking reader (its own connection,
/// so `XREADGROUP … BLOCK` holds up nothing else) and a writer, both hiredis clients on threads
/// of their own. The guarantees live in Redis's consumer groups and in two scripts: the apply
/// script (`EffectApplier`: ownership, once only, effects and `XACK` in one step) and the group
/// records' (`GroupRecords`).
public final class RedisGroupTransport: GroupTransport {
    public let group: String
    public let consumer: String
    public let streams: [String]
    private let reader: RedisClient
    private let writer: RedisClient
    private let applier: EffectApplier
    private let records: GroupRecords
    private let book: RetryBook

    /// `blockMilliseconds`: the longest read the runtime asks for (the reader's socket timeout stays above it).
    public init(group: String, consumer: String, streams: [String], keys: Keys, redis: RedisConfiguration, blockMilliseconds: Int, logger: Logger) {
        self.group = group
        self.consumer = consumer
        self.streams = streams
        // On a cluster both clients follow the primary of the partition's slot: every key of a
        // partition carries its tag, so the streams, the records and every effect are there.
        let redis = redis.pinned(toKey: streams.first ?? keys.dead)
        var readConfiguration = redis
        readConfiguration.readTimeoutMilliseconds = max(redis.readTimeoutMilliseconds, blockMilliseconds + 10_000)
        reader = RedisClient(configuration: readConfiguration, label: "\(group).reader", logger: logger)
        writer = RedisClient(configuration: redis, label: "\(group).writer", logger: logger)
        applier = EffectApplier(group: group, consumer: consumer, keys: keys)
        records = GroupRecords(keys: keys, group: group)
        book = RetryBook(keys: keys, group: group)
    }

    /// Runs a call, its `RedisError` turned into what the runtime acts on.
    private func mapped<T>(_ body: () async throws -> T) async throws(TransportFailure) -> T {
        do {
            return try await body()
        } catch let error as RedisError {
            throw Self.failure(error)
        } catch let error as TransportFailure {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
    }

    static func failure(_ error: RedisError) -> TransportFailure {
        if error.serverCode == "NOGROUP" { return .groupMissing(error.description) }
        if error.serverCode == "NOPERM" { return .forbidden(error.description) }
        if error.isPermanent { return .refused(error.description) }
        return .unavailable(error.description)
    }

    public func ensureGroups() async throws -> [(stream: String, creation: GroupRecords.Creation)] {
        try await mapped {
            var created: [(stream: String, creation: GroupRecords.Creation)] = []
            for stream in streams { created.append((stream, try await records.createGroup(on: stream, using: writer))) }
            return created
        }
    }

    public func readNew(count: Int, blockMilliseconds: Int) async throws -> [StreamMessage] {
        var command = RedisCommand(["XREADGROUP", "GROUP", group, consumer, "COUNT", String(count), "BLOCK", String(blockMilliseconds), "STREAMS"])
        command.append(contentsOf: streams)
        command.append(contentsOf: streams.map { _ in ">" })
        return try await mapped {
            try await reader.withConnection { [command] connection throws(RedisError) in
                try connection.send(command) { reply in StreamReplies.readGroup(reply, deliveries: 1).flatMap(\.messages) }
            }
        }
    }

    public func interrupt() { reader.interrupt() }

    public func claimIdle(stream: String, minIdleMilliseconds: Int, count: Int, from start: String) async throws
        -> (next: String, ids: [String], removed: [String]) {
        let command = RedisCommand(["XAUTOCLAIM", stream, group, consumer, String(minIdleMilliseconds), start, "COUNT", String(count), "JUSTID"])
        return try await mapped {
            try await writer.withConnection { connection throws(RedisError) in
                try connection.send(command) { reply throws(RedisError) in try StreamReplies.autoClaimIds(reply) }
            }
        }
    }

    public func redeliver(_ ids: [String], stream: String) async throws -> (messages: [StreamMessage], gone: [String]) {
        if ids.isEmpty { return ([], []) }
        var command = RedisCommand(["XCLAIM", stream, group, consumer, "0"])
        command.append(contentsOf: ids)
        return try await mapped {
            let entries = try await writer.withConnection { [command] connection throws(RedisError) in
                try connection.send(command) { reply in StreamReplies.claimed(reply, stream: stream) }
            }
            // The group's delivery count of each (claims and re-reads raise it).
            var messages = entries.messages
            if !messages.isEmpty {
                let replies = try await writer.pipeline(messages.map { RedisCommand(["XPENDING", $0.stream, group, $0.id, $0.id, "1"]) })
                for (index, reply) in replies.enumerated() {
                    if let entry = reply.array?.first?.array, entry.count == 4, let count = entry[3].int { messages[index].deliveries = count }
                }
            }
            let delivered = Set(messages.map(\.id))
            return (messages, ids.filter { !delivered.contains($0) })
        }
    }

    public func keep(_ ids: [String], stream: String) async throws -> Set<String> {
        if ids.isEmpty { return [] }
        var command = RedisCommand(["XCLAIM", stream, group, consumer, "0"])
        command.append(contentsOf: ids)
        command.append("JUSTID")
        return try await mapped { Set(try await writer.send(command).strings) }
    }

    public func acknowledge(_ ids: [String], stream: String) async throws {
        if ids.isEmpty { return }
        _ = try await mapped { try await writer.send(RedisCommand(["XACK", stream, group] + ids)) }
    }

    public func ownPending(stream: String, after: String?, count: Int) async throws -> [String] {
        try await mapped {
            let reply = try await writer.send(RedisCommand(["XPENDING", stream, group, after.map { "(" + $0 } ?? "-", "+", String(count), consumer]))
            return (reply.array ?? []).compactMap { $0.array?.first?.string }
        }
    }

    public func recordRetries(_ entries: [RetryBook.Entry]) async throws {
        if entries.isEmpty { return }
        _ = try await mapped { try await writer.send(book.recording(entries)) }
    }

    public func retries(_ ids: [String], stream: String) async throws -> [RetryBook.Entry?] {
        if ids.isEmpty { return [] }
        return try await mapped { RetryBook.entries(ids, stream: stream, reply: try await writer.send(book.looking(up: ids, stream: stream))) }
    }

    public func clearRetries(_ messages: [(stream: String, id: String)]) async throws {
        if messages.isEmpty { return }
        _ = try await mapped { try await writer.send(book.clearing(messages)) }
    }

    public func apply(_ handled: [Handled]) async throws -> Applied {
        if handled.isEmpty { return Applied(acknowledged: 0) }
        if handled.allSatisfy(\.effects.isEmpty) { return try await acknowledgeOnly(handled) }
        return try await mapped {
            try await writer.withConnection { [applier] connection throws(RedisError) in try applier.apply(handled, on: connection) }
        }
    }

    /// Messages that write nothing need no script and no ownership check: `XACK` acknowledges
    /// only what is still pending, so each message is acknowledged once. If another consumer
    /// claimed one meanwhile, whichever acknowledges first decides it — this one's decision
    /// ("nothing to write") or the claimer's, whose script then finds it acknowledged and drops
    /// its writes — never both. One round trip: `XACK` per stream, and the retry book's entries
    /// of the re-delivered ones. Where a batch mixes both, the apply script acknowledges all in
    /// its one step.
    private func acknowledgeOnly(_ handled: [Handled]) async throws -> Applied {
        var commands: [RedisCommand] = []
        for stream in Set(handled.map(\.stream)).sorted() {
            commands.append(RedisCommand(["XACK", stream, group] + handled.filter { $0.stream == stream }.map(\.id)))
        }
        let retried = handled.filter(\.redelivered)
        if !retried.isEmpty { commands.append(book.clearing(retried.map { ($0.stream, $0.id) })) }
        return try await mapped {
            let replies = try await writer.pipeline(commands)
            return Applied(acknowledged: replies.prefix(commands.count - (retried.isEmpty ? 0 : 1)).reduce(0) { $0.clampedAdding($1.int ?? 0) })
        }
    }

    public func recordWatermarks() async throws {
        try await mapped {
            for stream in streams { try await records.recordWatermark(on: stream, using: writer) }
        }
    }

    public func gauges() async -> [GroupGauge] {
        let commands = streams.flatMap { [RedisCommand("XINFO", "GROUPS", $0), RedisCommand("XPENDING", $0, group)] }
        guard let replies = try? await writer.pipelineKeepingErrors(commands) else { return [] }
        var gauges: [GroupGauge] = []
        for (index, stream) in streams.enumerated() {
            // XPENDING's summary: count, smallest id, greatest id, consumers.
            let oldest = replies[2 * index + 1].array.flatMap { $0.count == 4 ? $0[1].string : nil }.flatMap(StreamID.init)?.milliseconds
            for info in replies[2 * index].array ?? [] {
                let fields = info.fields
                guard fields["name"]?.string == group else { continue }
                gauges.append(GroupGauge(stream: stream, lag: fields["lag"]?.int, pending: fields["pending"]?.int ?? 0,
                                         oldestPendingAt: oldest.flatMap { Int64(exactly: $0) }))
            }
        }
        return gauges
    }

    public func close() {
        reader.close()
        writer.close()
    }
}
