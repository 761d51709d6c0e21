import Contract
import Logging
import Metrics
import Redis
import ServiceLifecycle
import Synchronization
import Tracing

/// One instance of a policy in its consumer group. It carries every delivery guarantee so the
/// policy is only its decision; it is made of three parts and a transport:
/// - reading: new entries in batches (`GroupTransport.readNew`), each instance getting different
///   ones, the next batch read while this one is handled and applied;
/// - scheduling (`RetryScheduler`): failed messages parked until their retry is due, idle ones
///   of crashed or stalled consumers claimed, this consumer's own pending ones at start and stop;
/// - dispatching (`Dispatcher`): the policy behind its middleware, messages sorted into handled
///   (with their writes) and failed;
/// - applying (`GroupTransport.apply`): the writes with the acknowledgement in one atomic step,
///   only by the delivery that acknowledges and only once: exactly-once effects even when a
///   stalled consumer wakes up late or a group is made again. A message whose writes are refused
///   is dead-lettered alone, and the rest of its batch goes on.
/// A vanished group is made again, loudly, at its recorded watermark. On shutdown it stops
/// reading, finishes and acknowledges what it holds, and returns. What it tells its supervisor
/// goes through `WorkerHooks` (systemd's `sd_notify` in production).
public final class ConsumerGroupWorker: Service, Sendable {
    public let policy: Policy
    public let settings: WorkerSettings
    private let transport: any GroupTransport
    private let hooks: any WorkerHooks
    private let clock: EpochClock
    private let logger: Logger
    private let dispatcher: Dispatcher
    private let scheduler: RetryScheduler
    private let deadLetter: DeadLetter
    private let stopping = Atomic<Bool>(false)
    /// Set when the store refused this daemon's user (`NOPERM`): why the worker stopped.
    private let forbidden = Mutex<String?>(nil)
    /// The store failed since the last good batch: the supervisor's status says so until it works again.
    private let degraded = Atomic<Bool>(false)
    /// Messages were acknowledged since the watermarks were last recorded (set at start: the
    /// first interval records them once).
    private let appliedSinceWatermark = Atomic<Bool>(true)
    private let acknowledged: Counter

    public init(policy: Policy, settings: WorkerSettings, transport: any GroupTransport, hooks: any WorkerHooks = NoHooks(),
                clock: @escaping EpochClock = epochMilliseconds, logger: Logger) {
        var logger = logger
        logger[metadataKey: "policy"] = "\(policy.name)"
        logger[metadataKey: "consumer"] = "\(settings.consumer)"
        self.policy = policy
        self.settings = settings
        self.transport = transport
        self.hooks = hooks
        self.clock = clock
        self.logger = logger
        deadLetter = DeadLetter(deadStream: settings.keys.dead, group: policy.name, consumer: settings.consumer)
        dispatcher = Dispatcher(policy: policy, settings: settings, deadLetter: deadLetter, clock: clock, logger: logger)
        scheduler = RetryScheduler(transport: transport, settings: settings, policy: policy.name, clock: clock, logger: logger)
        acknowledged = Counter(label: "baedal_messages_acknowledged_total", dimensions: [("policy", policy.name)])
    }

    /// The policy on Redis (`RedisGroupTransport`).
    public convenience init(policy: Policy, settings: WorkerSettings, redis: RedisConfiguration, hooks: any WorkerHooks = NoHooks(), logger: Logger) {
        let transport = RedisGroupTransport(group: policy.name, consumer: settings.consumer, streams: policy.streams.map(settings.keys.stream),
                                            keys: settings.keys, redis: redis, blockMilliseconds: settings.blockMilliseconds, logger: logger)
        self.init(policy: policy, settings: settings, transport: transport, hooks: hooks, logger: logger)
    }

    /// Runs until `stop()` or a graceful shutdown (SIGTERM through the service group). Throws
    /// `WorkerStopped.forbidden` when the store refused this daemon's user (`NOPERM`): the process
    /// should end with a configuration error instead of retrying for ever.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.work()
        } onGracefulShutdown: {
            self.stop()
        }
        if let reason = forbidden.withLock({ $0 }) { throw WorkerStopped.forbidden(policy: policy.name, reason: reason) }
    }

    /// The store refused this daemon's user: said once, at `critical`, and the worker stops.
    private func forbid(_ reason: String) {
        let first = forbidden.withLock { (seen: inout String?) -> Bool in
            defer { if seen == nil { seen = reason } }
            return seen == nil
        }
        if first {
            logger.critical("Redis refuses this daemon's user a command or key it needs (NOPERM): a configuration error; fix the user's ACL (baedalctl acl prints the rules) and start the worker again; its messages stay pending",
                            metadata: ["error": "\(reason)"])
        }
        stop()
    }

    /// Stop reading now; the batch in hand is finished and acknowledged before `run()` returns.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        transport.interrupt()
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private var handling: String { "\(policy.name): handling \(transport.streams.joined(separator: ", ")) as \(settings.consumer)" }

    private func work() async {
        logger.notice("starting", metadata: ["streams": "\(transport.streams.joined(separator: ","))"])
        while !isStopping {
            do {
                try await ensureGroups(loudly: false)
                break
            } catch {
                await pause(after: error)
            }
        }
        if !isStopping {
            hooks.ready(handling)
            logger.notice("ready")
        }
        let deliver: RetryScheduler.Deliver = { [self] messages in try await self.handle(messages) }
        await scheduler.handleOwnPending(atShutdown: false, deliver)
        var nextClaim = ContinuousClock.now
        var nextKeep = ContinuousClock.now
        var nextGauges = ContinuousClock.now
        var lastWatchdog = ContinuousClock.now
        // The next batch is read while this one is handled and applied: the store serves the read
        // on one connection while the writes of the batch before travel on the other.
        var prefetch: Task<[StreamMessage], any Error>?
        while !isStopping {
            do {
                if ContinuousClock.now >= nextClaim {
                    try await scheduler.claimIdle(stopping: { self.isStopping }, deliver)
                    // The watermark moves only when something was acknowledged: an idle worker records nothing.
                    if appliedSinceWatermark.exchange(false, ordering: .relaxed) { try await transport.recordWatermarks() }
                    nextClaim = .now + .milliseconds(settings.claimIntervalMilliseconds)
                }
                if ContinuousClock.now >= nextKeep {
                    try await scheduler.keepParked()
                    nextKeep = .now + .milliseconds(settings.keepIntervalMilliseconds)
                }
                if ContinuousClock.now >= nextGauges {
                    await recordGauges()
                    nextGauges = .now + .seconds(5)
                }
                try await scheduler.deliverDue(deliver)
                let read = prefetch ?? Task { try await self.readNew() }
                prefetch = nil
                let batch = try await read.value
                // A full batch: more is waiting, read it while this one is applied. A short one:
                // let the flow gather for the next read (`lingerMilliseconds`).
                let full = batch.count >= settings.batchSize
                if !isStopping && full { prefetch = Task { try await self.readNew() } }
                try await handle(batch)
                if degraded.exchange(false, ordering: .relaxed) { hooks.status(handling) }
                if !full && !batch.isEmpty && settings.lingerMilliseconds > 0 && !isStopping {
                    try? await Task.sleep(for: .milliseconds(settings.lingerMilliseconds))
                }
            } catch TransportFailure.forbidden(let reason) {
                prefetch = nil
                forbid(reason)
            } catch TransportFailure.groupMissing(let reason) {
                prefetch = nil
                logger.critical("consumer group vanished (an operator's XGROUP DESTROY, a restore without it?); making it again",
                                metadata: ["error": "\(reason)"])
                try? await ensureGroups(loudly: true)
            } catch {
                prefetch = nil
                if isStopping { break }
                await pause(after: error)
            }
            if ContinuousClock.now - lastWatchdog > .seconds(1) {
                hooks.alive()
                lastWatchdog = .now
            }
        }
        // A read that was under way when the stop came may have brought messages: finish them.
        if let prefetch, let batch = try? await prefetch.value {
            try? await handle(batch)
        }
        hooks.stopping()
        logger.notice("stopping: finishing the messages in hand", metadata: ["parked": "\(scheduler.parked.count)"])
        await scheduler.handleOwnPending(atShutdown: true, deliver)
        transport.close()
        logger.notice("stopped")
    }

    private func readNew() async throws -> [StreamMessage] {
        try await transport.readNew(count: settings.batchSize, blockMilliseconds: scheduler.blockTime())
    }

    /// The group's lag and pending count per stream, as gauges (`baedal_group_lag`,
    /// `baedal_group_pending`), and how long its oldest pending entry has been on the stream
    /// (`baedal_group_oldest_pending_seconds`, 0 with nothing pending), for dashboards and alerts.
    private func recordGauges() async {
        let now = epochMilliseconds()
        for gauge in await transport.gauges() {
            let dimensions = [("policy", policy.name), ("stream", gauge.stream)]
            if let lag = gauge.lag { Gauge(label: "baedal_group_lag", dimensions: dimensions).record(lag) }
            Gauge(label: "baedal_group_pending", dimensions: dimensions).record(gauge.pending)
            // An id is anyone's to choose with XADD: an age out of range counts as none.
            let age = gauge.oldestPendingAt.map { Double(now) / 1_000 - Double($0) / 1_000 } ?? 0
            Gauge(label: "baedal_group_oldest_pending_seconds", dimensions: dimensions).record(gauge.pending > 0 && age.isFinite ? max(0, age) : 0)
        }
    }

    /// After a failure: an unavailable store backs off inside its client (the short pause only
    /// keeps one that accepts and drops connections from spinning the loop); anything else waits
    /// a second.
    private func pause(after error: any Error) async {
        if case TransportFailure.forbidden(let reason) = error {
            forbid(reason)
            return
        }
        if case TransportFailure.unavailable = error {
            if !degraded.exchange(true, ordering: .relaxed) { hooks.status("\(policy.name): the backbone is unreachable, retrying") }
            try? await Task.sleep(for: .milliseconds(20))
            return
        }
        logger.error("unexpected error in the consumer loop", metadata: ["error": "\(error)"])
        try? await Task.sleep(for: .seconds(1))
    }

    /// Creates the group on every stream where it is missing: a new group starts from the
    /// beginning, so events written while no worker ever ran are handled too; a group that
    /// vanished is made again at its recorded watermark.
    private func ensureGroups(loudly: Bool) async throws {
        for (stream, creation) in try await transport.ensureGroups() {
            guard case .created(let position, let replayed) = creation else { continue }
            if position == "0" && !loudly {
                logger.notice("created consumer group", metadata: ["stream": "\(stream)"])
            } else {
                logger.critical("consumer group vanished; recreated at its recorded watermark: entries after it are delivered again, those already applied are only acknowledged",
                                metadata: ["stream": "\(stream)", "watermark": "\(position)", "retriesReplayed": "\(replayed)"])
            }
        }
    }

    /// Dispatches every message, then applies all their writes with their acks in one step. A
    /// message whose handler failed stays pending, parked until its next delivery is due.
    private func handle(_ batch: [StreamMessage]) async throws {
        if batch.isEmpty { return }
        let sorted = await dispatcher.dispatch(batch)
        // Each message's span ends once its writes are applied (or given up); the apply is a
        // span under each recorded one (one script applies the whole batch).
        let applying = sorted.handled.compactMap { item -> (any Span)? in
            guard item.span.isRecording else { return nil }
            let span = ActiveTracer.tracer.startSpan("apply \(policy.name)", context: item.span.context, ofKind: .internal)
            span.attributes["baedal.batch.messages"] = sorted.handled.count
            span.attributes["baedal.effects.writes"] = item.handled.effects.writes.count
            return span
        }
        defer {
            for span in applying { span.end() }
            for item in sorted.handled { item.span.end() }
        }
        do {
            try await scheduler.park(sorted.failed)
            try await applyBatch(sorted)
        } catch {
            // Not applied (stopping, or the store failing): the messages stay pending and come again.
            for item in sorted.handled { item.span.setStatus(SpanStatus(code: .error, message: "not applied: \(error)")) }
            throw error
        }
    }

    /// Applies a dispatched batch; when the store refuses it, each message alone.
    private func applyBatch(_ sorted: Dispatcher.Sorted) async throws {
        do {
            try await applyHoldingOn(sorted.handled.map(\.handled))
        } catch TransportFailure.refused(let reason) {
            // One message's writes are refused (a key of the wrong type, an overflow, an entry too
            // large for a script): find it, keep the rest. Each message stands alone here: one
            // that cannot even be dead-lettered stays pending and holds up nothing else.
            logger.error("applying a batch failed; applying its messages one by one", metadata: ["error": "\(reason)"])
            for (handled, message, span) in sorted.handled {
                do {
                    try await applyAlone(handled, message: message, span: span)
                } catch TransportFailure.refused(let reason) {
                    span.setStatus(SpanStatus(code: .error, message: "could not be applied nor dead-lettered: \(reason)"))
                    logger.critical("a message could not be applied nor dead-lettered; it stays pending", metadata: [
                        "orderId": "\(message.string("orderId") ?? "-")", "stream": "\(message.stream)", "id": "\(message.id)", "error": "\(reason)",
                    ])
                }
            }
        }
    }

    /// Applies the batch's writes; while the store cannot take them (a failover, a cluster slot
    /// failing over or moving: nothing was written) the batch stays in hand and is applied again
    /// after a back-off (50 ms doubling to 2 s), so an outage neither hands the messages out
    /// again nor counts a delivery against `maxDeliveries`. Stopping gives up the batch: its
    /// messages stay pending and are delivered again.
    private func applyHoldingOn(_ handled: [Handled]) async throws {
        var backoff = 50
        while true {
            do {
                return try await apply(handled)
            } catch TransportFailure.unavailable(let reason) {
                if isStopping { throw TransportFailure.unavailable(reason) }
                if backoff == 50 {
                    logger.warning("the store cannot take a batch's writes now; holding on to it", metadata: [
                        "count": "\(handled.count)", "error": "\(reason)",
                    ])
                }
                if !degraded.exchange(true, ordering: .relaxed) { hooks.status("\(policy.name): the backbone cannot take writes now, retrying") }
                try? await Task.sleep(for: .milliseconds(backoff))
                backoff = min(backoff * 2, 2_000)
            }
        }
    }

    /// Applies and acknowledges; messages another consumer owns now are dropped, those applied
    /// before their group was made again are only acknowledged.
    private func apply(_ handled: [Handled]) async throws {
        if handled.isEmpty { return }
        let result = try await transport.apply(handled)
        acknowledged.increment(by: result.acknowledged)
        if result.acknowledged > 0 { appliedSinceWatermark.store(true, ordering: .relaxed) }
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
    }

    /// Applies one message's writes; when the store refuses them for good (the key is of another
    /// type, a count would overflow), the message is dead-lettered at once with the reason: a
    /// retry could not help, and it must not hold up the messages behind it.
    private func applyAlone(_ handled: Handled, message: StreamMessage, span: any Span) async throws {
        do {
            try await apply([handled])
        } catch TransportFailure.refused(let reason) {
            logger.error("applying a message's effects failed; dead-lettering it", metadata: [
                "orderId": "\(message.string("orderId") ?? "-")", "id": "\(message.id)", "deliveries": "\(message.deliveries)", "error": "\(reason)",
            ])
            span.setStatus(SpanStatus(code: .error, message: "dead-lettered: its effects could not be applied"))
            try await apply([Handled(stream: handled.stream, id: handled.id,
                                     effects: MessageSpan.stamped(deadLetter.effects(for: message, reason: "its effects could not be applied: \(reason)"), by: span),
                                     redelivered: handled.redelivered)])
        }
    }
}
