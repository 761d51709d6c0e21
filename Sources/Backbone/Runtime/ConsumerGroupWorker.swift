import Daemon
import Logging
import Metrics
import Numbers
import Redis
import ServiceLifecycle
import Synchronization

/// One instance of a policy in its Redis consumer group. It carries every delivery guarantee so
/// the policy is only its decision:
/// - new entries are read in batches with `XREADGROUP`; each instance gets different ones;
/// - entries idle on any consumer longer than the claim time are taken over with `XAUTOCLAIM`;
/// - a message whose handling failed is parked and delivered again on `RetrySchedule`'s delays
///   (the messages behind it go on), recorded in `RetryBook` so any instance can take it over;
/// - effects are applied together with the `XACK` in one script, only by the delivery that
///   acknowledges: exactly-once writes even when a stalled consumer wakes up late;
/// - malformed entries and ones that keep failing go to the dead-letter stream; a message whose
///   writes Redis refuses is dead-lettered alone, and the rest of its batch goes on;
/// - a vanished group is recreated, loudly, at its recorded watermark (`GroupRecords`): what its
///   effects hold is not applied again;
/// - on shutdown it stops reading, finishes and acknowledges what it holds, and returns.
public final class ConsumerGroupWorker: Service, Sendable {
    public let policy: Policy
    public let settings: WorkerSettings
    private let reader: RedisClient
    private let writer: RedisClient
    private let logger: Logger
    private let handler: Handler
    private let applier: EffectApplier
    private let deadLetter: DeadLetter
    private let stopping = Atomic<Bool>(false)
    /// Redis failed since the last good batch: systemd's STATUS says so until it works again.
    private let degraded = Atomic<Bool>(false)
    private let streams: [String]
    private let schedule: RetrySchedule
    private let book: RetryBook
    private let records: GroupRecords
    private let parked = ParkedMessages()

    private let acknowledged: Counter
    private let claimed: Counter
    private let vanished: Counter

    public init(policy: Policy, settings: WorkerSettings, redis: RedisConfiguration, logger: Logger) {
        var logger = logger
        logger[metadataKey: "policy"] = "\(policy.name)"
        logger[metadataKey: "consumer"] = "\(settings.consumer)"
        self.policy = policy
        self.settings = settings
        self.logger = logger
        var readConfiguration = redis
        readConfiguration.readTimeoutMilliseconds = max(redis.readTimeoutMilliseconds, settings.blockMilliseconds + 10_000)
        self.reader = RedisClient(configuration: readConfiguration, label: "\(policy.name).reader", logger: logger)
        self.writer = RedisClient(configuration: redis, label: "\(policy.name).writer", logger: logger)
        self.applier = EffectApplier(group: policy.name, consumer: settings.consumer, keys: settings.keys)
        self.records = GroupRecords(keys: settings.keys, group: policy.name)
        self.deadLetter = DeadLetter(deadStream: settings.keys.dead, group: policy.name, consumer: settings.consumer)
        self.streams = policy.streams.map(settings.keys.stream)
        self.schedule = settings.retry
        self.book = RetryBook(keys: settings.keys, group: policy.name)
        self.handler = chain([
            StandardMiddleware.replayedOnlyFor(policy.name),
            StandardMiddleware.logging(logger, schedule: settings.retry),
            StandardMiddleware.deadLetter(deadLetter, maxDeliveries: settings.maxDeliveries, logger: logger),
            // Inside the dead letters: a message buried counts as failed here and dead-lettered there.
            StandardMiddleware.metrics(policy: policy.name),
        ], policy.handle)
        let dimensions = [("policy", policy.name)]
        acknowledged = Counter(label: "baedal_messages_acknowledged_total", dimensions: dimensions)
        claimed = Counter(label: "baedal_messages_claimed_total", dimensions: dimensions)
        vanished = Counter(label: "baedal_messages_vanished_total", dimensions: dimensions)
    }

    /// Runs until `stop()` or a graceful shutdown (SIGTERM through the service group).
    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.work()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Stop reading now; the batch in hand is finished and acknowledged before `run()` returns.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        reader.interrupt()
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func work() async {
        logger.notice("starting", metadata: ["streams": "\(streams.joined(separator: ","))", "redis": "\(reader.configuration)"])
        while !isStopping {
            do {
                try await ensureGroups(loudly: false)
                break
            } catch {
                await pause(after: error)
            }
        }
        if !isStopping {
            SystemdNotifier.notify("READY=1\nSTATUS=\(policy.name): handling \(streams.joined(separator: ", ")) as \(settings.consumer)")
            logger.notice("ready")
        }
        await handleOwnPending(atShutdown: false)
        var nextClaim = ContinuousClock.now
        var nextKeep = ContinuousClock.now
        var nextGauges = ContinuousClock.now
        var lastWatchdog = ContinuousClock.now
        // The next batch is read while this one is handled and applied: Redis serves the read on
        // one connection while the writes of the batch before travel on the other.
        var prefetch: Task<[StreamMessage], any Error>?
        while !isStopping {
            do {
                if ContinuousClock.now >= nextClaim {
                    try await claimIdleMessages()
                    try await recordWatermarks()
                    nextClaim = .now + .milliseconds(settings.claimIntervalMilliseconds)
                }
                if ContinuousClock.now >= nextKeep {
                    try await keepParked()
                    nextKeep = .now + .milliseconds(settings.keepIntervalMilliseconds)
                }
                if ContinuousClock.now >= nextGauges {
                    await recordGroupGauges()
                    nextGauges = .now + .seconds(5)
                }
                try await deliverDue()
                let read = prefetch ?? Task { try await self.readNew(blockMilliseconds: self.blockTime()) }
                prefetch = nil
                let batch = try await read.value
                if !isStopping && !batch.isEmpty { prefetch = Task { try await self.readNew(blockMilliseconds: self.blockTime()) } }
                try await handle(batch)
                if degraded.exchange(false, ordering: .relaxed) {
                    SystemdNotifier.notify("STATUS=\(policy.name): handling \(streams.joined(separator: ", ")) as \(settings.consumer)")
                }
            } catch let error as RedisError where error.serverCode == "NOGROUP" {
                logger.critical("consumer group vanished (was Redis restarted without its data?); recreating it", metadata: ["error": "\(error)"])
                try? await ensureGroups(loudly: true)
            } catch {
                if isStopping { break }
                await pause(after: error)
            }
            if ContinuousClock.now - lastWatchdog > .seconds(1) {
                SystemdNotifier.notify("WATCHDOG=1")
                lastWatchdog = .now
            }
        }
        // A read that was under way when the stop came may have brought messages: finish them.
        if let prefetch, let batch = try? await prefetch.value {
            try? await handle(batch)
        }
        SystemdNotifier.notify("STOPPING=1")
        logger.notice("stopping: finishing the messages in hand", metadata: ["parked": "\(parked.count)"])
        await handleOwnPending(atShutdown: true)
        reader.close()
        writer.close()
        logger.notice("stopped")
    }

    /// The group's lag and pending count per stream, as gauges (`baedal_group_lag`,
    /// `baedal_group_pending`), for dashboards and alerts.
    private func recordGroupGauges() async {
        guard let replies = try? await writer.pipelineKeepingErrors(streams.map { RedisCommand("XINFO", "GROUPS", $0) }) else { return }
        for (stream, reply) in zip(streams, replies) {
            for group in reply.array ?? [] {
                let fields = group.fields
                guard fields["name"]?.string == policy.name else { continue }
                let dimensions = [("policy", policy.name), ("stream", stream)]
                if let lag = fields["lag"]?.int { Gauge(label: "baedal_group_lag", dimensions: dimensions).record(lag) }
                Gauge(label: "baedal_group_pending", dimensions: dimensions).record(fields["pending"]?.int ?? 0)
            }
        }
    }

    /// After a failure: connection problems back off inside the client (the short pause only
    /// keeps a Redis that accepts and drops connections from spinning the loop); anything else
    /// waits a second.
    private func pause(after error: any Error) async {
        if let redisError = error as? RedisError, redisError.isConnectionProblem {
            if !degraded.exchange(true, ordering: .relaxed) {
                SystemdNotifier.notify("STATUS=\(policy.name): redis unreachable, retrying")
            }
            try? await Task.sleep(for: .milliseconds(20))
            return
        }
        logger.error("unexpected error in the consumer loop", metadata: ["error": "\(error)"])
        try? await Task.sleep(for: .seconds(1))
    }

    /// Creates the group on every stream where it is missing (`GroupRecords.createGroup`): a new
    /// group starts from the beginning, so events written while no worker ever ran are handled
    /// too; a group that vanished is made again at its recorded watermark.
    private func ensureGroups(loudly: Bool) async throws {
        for stream in streams {
            guard case .created(let position, let replayed) = try await records.createGroup(on: stream, using: writer) else { continue }
            if position == "0" && !loudly {
                logger.notice("created consumer group", metadata: ["stream": "\(stream)"])
            } else {
                logger.critical("consumer group vanished; recreated at its recorded watermark: entries after it are delivered again, those already applied are only acknowledged",
                                metadata: ["stream": "\(stream)", "watermark": "\(position)", "retriesReplayed": "\(replayed)"])
            }
        }
    }

    /// Records the group's watermark on every stream (see `GroupRecords`).
    private func recordWatermarks() async throws {
        for stream in streams { try await records.recordWatermark(on: stream, using: writer) }
    }

    /// How long a read may wait for new entries: never past the next parked message's due time.
    private func blockTime() -> Int {
        guard let next = parked.nextDue else { return settings.blockMilliseconds }
        return Int(max(10, min(Int64(settings.blockMilliseconds), next.clampedSubtracting(epochMilliseconds()))))
    }

    private func readNew(blockMilliseconds: Int) async throws -> [StreamMessage] {
        var command = RedisCommand(["XREADGROUP", "GROUP", policy.name, settings.consumer,
                                    "COUNT", String(settings.batchSize), "BLOCK", String(blockMilliseconds), "STREAMS"])
        command.append(contentsOf: streams)
        command.append(contentsOf: streams.map { _ in ">" })
        return try await reader.withConnection { [command] connection throws(RedisError) in
            try connection.send(command) { reply in StreamReplies.readGroup(reply, deliveries: 1).flatMap(\.messages) }
        }
    }

    /// Handles every message, then applies all their effects with their acks in one step.
    /// A message whose handler failed stays pending, parked until its next delivery is due.
    private func handle(_ batch: [StreamMessage]) async throws {
        if batch.isEmpty { return }
        var outcomes: [EffectApplier.Outcome] = []
        var handled: [StreamMessage] = []
        var failed: [RetryBook.Entry] = []
        outcomes.reserveCapacity(batch.count)
        handled.reserveCapacity(batch.count)
        for message in batch {
            do {
                let effects = try await handler(message)
                outcomes.append(.init(stream: message.stream, id: message.id, effects: effects, redelivered: message.deliveries > 1))
                handled.append(message)
            } catch {
                let due = schedule.due(afterDelivery: message.deliveries, now: epochMilliseconds())
                failed.append(RetryBook.Entry(stream: message.stream, id: message.id, due: due, deliveries: message.deliveries, reason: "\(error)"))
            }
        }
        if !failed.isEmpty {
            _ = try await writer.send(book.recording(failed))
            parked.park(failed)
        }
        do {
            try await apply(outcomes)
        } catch let error as RedisError where error.isPermanent {
            // One message's writes are refused (a key of the wrong type, an overflow, an entry too
            // large for a script): find it, keep the rest. Each message stands alone here: one
            // that cannot even be dead-lettered stays pending and holds up nothing else.
            logger.error("applying a batch failed; applying its messages one by one", metadata: ["error": "\(error)"])
            for (outcome, message) in zip(outcomes, handled) {
                do {
                    try await applyAlone(outcome, message: message)
                } catch let error as RedisError where error.isPermanent {
                    logger.critical("a message could not be applied nor dead-lettered; it stays pending", metadata: [
                        "orderId": "\(message.string("orderId") ?? "-")", "stream": "\(message.stream)", "id": "\(message.id)", "error": "\(error)",
                    ])
                }
            }
        }
    }

    /// Applies and acknowledges; returns the outcomes that were not applied because another
    /// consumer owns their message now.
    @discardableResult
    private func apply(_ outcomes: [EffectApplier.Outcome]) async throws -> [EffectApplier.Outcome] {
        if outcomes.isEmpty { return [] }
        let result = try await writer.withConnection { [applier] connection throws(RedisError) in
            try applier.apply(outcomes, on: connection)
        }
        acknowledged.increment(by: result.acknowledged)
        if !result.duplicates.isEmpty {
            logger.warning("messages applied before their group was recreated were acknowledged without applying them again", metadata: [
                "count": "\(result.duplicates.count)", "ids": "\(result.duplicates.prefix(5).map(\.id).joined(separator: ","))",
            ])
        }
        if !result.skipped.isEmpty {
            logger.info("messages were claimed by another consumer while this one held them; their writes were dropped", metadata: [
                "count": "\(result.skipped.count)", "ids": "\(result.skipped.prefix(5).map(\.id).joined(separator: ","))",
            ])
        }
        return result.skipped
    }

    /// Applies one message's effects; when Redis refuses them for good (the key is of another
    /// type, a count would overflow), the message is dead-lettered at once with the reason: a
    /// retry could not help, and it must not hold up the messages behind it.
    private func applyAlone(_ outcome: EffectApplier.Outcome, message: StreamMessage) async throws {
        do {
            try await apply([outcome])
        } catch let error as RedisError where error.isPermanent {
            logger.error("applying a message's effects failed; dead-lettering it", metadata: [
                "orderId": "\(message.string("orderId") ?? "-")", "id": "\(message.id)", "deliveries": "\(message.deliveries)", "error": "\(error)",
            ])
            try await apply([EffectApplier.Outcome(stream: outcome.stream, id: outcome.id,
                                                   effects: deadLetter.effects(for: message, reason: "its effects could not be applied: \(error)"),
                                                   redelivered: outcome.redelivered)])
        }
    }

    /// Takes over messages idle longer than the claim time on any consumer (a crashed or stalled
    /// one) without counting a delivery (`JUSTID`), then delivers those that are due and parks
    /// those whose next delivery lies ahead.
    private func claimIdleMessages() async throws {
        for stream in streams {
            var start = "0-0"
            for _ in 0..<20 {
                let command = RedisCommand([
                    "XAUTOCLAIM", stream, policy.name, settings.consumer, String(settings.claimIdleMilliseconds), start,
                    "COUNT", String(settings.batchSize), "JUSTID",
                ])
                let (next, ids, deleted) = try await writer.withConnection { connection throws(RedisError) in
                    try connection.send(command) { reply throws(RedisError) in try StreamReplies.autoClaimIds(reply) }
                }
                try await forgetVanished([], removed: deleted, stream: stream)
                if !ids.isEmpty {
                    claimed.increment(by: ids.count)
                    logger.info("claimed idle messages", metadata: ["stream": "\(stream)", "count": "\(ids.count)"])
                    try await takeOver(ids, stream: stream, parkLater: true)
                }
                if next == "0-0" || isStopping { break }
                start = next
            }
        }
    }

    /// Messages this consumer now holds: those due (or never scheduled) are delivered now, the
    /// rest parked until due (or, at shutdown, left for another instance to take over).
    private func takeOver(_ ids: [String], stream: String, parkLater: Bool) async throws {
        if ids.isEmpty { return }
        let now = epochMilliseconds()
        let entries = RetryBook.entries(ids, stream: stream, reply: try await writer.send(book.looking(up: ids, stream: stream)))
        var due: [String] = []
        var later: [RetryBook.Entry] = []
        for (id, entry) in zip(ids, entries) {
            if let entry, entry.due > now { later.append(entry) } else { due.append(id) }
        }
        if parkLater { parked.park(later) }
        try await deliver(due, stream: stream)
    }

    /// Delivers messages of this consumer again, in stream order: `XCLAIM` counts the delivery
    /// and returns them.
    private func deliver(_ unordered: [String], stream: String) async throws {
        let ids = unordered.sorted(by: StreamID.ascending)
        for chunk in stride(from: 0, to: ids.count, by: settings.batchSize).map({ Array(ids[$0..<min($0 + settings.batchSize, ids.count)]) }) {
            var command = RedisCommand(["XCLAIM", stream, policy.name, settings.consumer, "0"])
            command.append(contentsOf: chunk)
            let entries = try await writer.withConnection { [command] connection throws(RedisError) in
                try connection.send(command) { reply in StreamReplies.claimed(reply, stream: stream) }
            }
            let gone = Set(chunk).subtracting(entries.messages.map(\.id))
            if !gone.isEmpty {
                // Acknowledged meanwhile, or trimmed away: nothing to deliver, nothing to wait for.
                _ = try await writer.send(book.clearing(gone.map { (stream, $0) }))
            }
            try await forgetVanished(entries.vanished, stream: stream)
            try await handle(try await withDeliveryCounts(entries.messages))
        }
    }

    /// Parked messages whose time has come.
    private func deliverDue() async throws {
        for (stream, ids) in parked.takeDue(now: epochMilliseconds()) {
            try await deliver(ids, stream: stream)
        }
    }

    /// Reclaims the parked messages from this consumer to itself (`JUSTID`: no delivery counted)
    /// well within the claim time, so no other instance takes them over before they are due;
    /// messages no longer pending (acknowledged elsewhere, trimmed) are forgotten.
    private func keepParked() async throws {
        for (stream, ids) in parked.held {
            for chunk in stride(from: 0, to: ids.count, by: 1_000).map({ Array(ids[$0..<min($0 + 1_000, ids.count)]) }) {
                var command = RedisCommand(["XCLAIM", stream, policy.name, settings.consumer, "0"])
                command.append(contentsOf: chunk)
                command.append("JUSTID")
                let kept = Set(try await writer.send(command).strings)
                let gone = chunk.filter { !kept.contains($0) }
                if !gone.isEmpty {
                    parked.forget(gone, stream: stream)
                    _ = try await writer.send(book.clearing(gone.map { (stream, $0) }))
                }
            }
        }
    }

    /// This consumer's own pending messages (from a previous life with the same name, or read
    /// just before a shutdown): those due are delivered; those parked for later stay parked (at
    /// start) or are left for another instance to take over when due (at shutdown).
    private func handleOwnPending(atShutdown: Bool) async {
        do {
            for stream in streams {
                var start = "-"
                while true {
                    let reply = try await writer.send(RedisCommand([
                        "XPENDING", stream, policy.name, start, "+", String(settings.batchSize), settings.consumer,
                    ]))
                    let ids = (reply.array ?? []).compactMap { $0.array?.first?.string }
                    if ids.isEmpty { break }
                    try await takeOver(ids, stream: stream, parkLater: !atShutdown)
                    if ids.count < settings.batchSize { break }
                    start = "(" + ids.last!
                }
            }
        } catch {
            logger.warning("could not finish this consumer's pending messages; another instance will claim them", metadata: ["error": "\(error)"])
        }
    }

    /// Entries trimmed away while pending: acknowledge them instead of claiming them forever.
    /// `removed` are ones Redis already took off the pending list (XAUTOCLAIM does since 7.0).
    private func forgetVanished(_ ids: [String], removed: [String] = [], stream: String) async throws {
        if ids.isEmpty && removed.isEmpty { return }
        vanished.increment(by: ids.count + removed.count)
        logger.warning("pending entries no longer exist in the stream (trimmed); dropping them",
                       metadata: ["stream": "\(stream)", "count": "\(ids.count + removed.count)"])
        if ids.isEmpty { return }
        _ = try await writer.send(RedisCommand(["XACK", stream, policy.name] + ids))
    }

    /// Replaces each message's delivery count by the group's (claims and re-reads raise it).
    private func withDeliveryCounts(_ messages: [StreamMessage]) async throws -> [StreamMessage] {
        if messages.isEmpty { return [] }
        let replies = try await writer.pipeline(messages.map {
            RedisCommand(["XPENDING", $0.stream, policy.name, $0.id, $0.id, "1"])
        })
        return zip(messages, replies).map { message, reply in
            var message = message
            if let entry = reply.array?.first?.array, entry.count == 4, let count = entry[3].int { message.deliveries = count }
            return message
        }
    }
}
