import Contract
import Numbers
import Logging
import Metrics

/// The runtime's second source of messages besides new entries: those it delivers again.
/// - A message whose handling failed is parked until `RetrySchedule` says it is due (the
///   messages behind it go on), its due time recorded in the retry book so any instance can take
///   it over, and reclaimed from itself well within the claim time so no other instance does.
/// - Messages idle longer than the claim time on any consumer (a crashed or stalled one) are
///   taken over without counting a delivery (`JUSTID`): those due are delivered now, the rest
///   parked.
/// - At start and at shutdown, this consumer's own pending messages (from a previous life with
///   the same name, or read just before the stop).
/// Every delivery goes to `deliver`, in stream order and in batches.
final class RetryScheduler: Sendable {
    let transport: any GroupTransport
    let settings: WorkerSettings
    let clock: EpochClock
    let logger: Logger
    let parked = ParkedMessages()
    private let claimed: Counter
    private let vanished: Counter

    typealias Deliver = @Sendable ([StreamMessage]) async throws -> Void

    init(transport: any GroupTransport, settings: WorkerSettings, policy: String, clock: @escaping EpochClock, logger: Logger) {
        self.transport = transport
        self.settings = settings
        self.clock = clock
        self.logger = logger
        claimed = Counter(label: "baedal_messages_claimed_total", dimensions: [("policy", policy)])
        vanished = Counter(label: "baedal_messages_vanished_total", dimensions: [("policy", policy)])
    }

    /// Records failed messages in the retry book and parks them until due.
    func park(_ failed: [RetryBook.Entry]) async throws {
        if failed.isEmpty { return }
        try await transport.recordRetries(failed)
        parked.park(failed)
    }

    /// How long a read may wait for new entries: never past the next parked message's due time.
    func blockTime() -> Int {
        guard let next = parked.nextDue else { return settings.blockMilliseconds }
        return Int(max(10, min(Int64(settings.blockMilliseconds), next.clampedSubtracting(clock()))))
    }

    /// Parked messages whose time has come.
    func deliverDue(_ deliver: Deliver) async throws {
        for (stream, ids) in parked.takeDue(now: clock()) {
            try await redeliver(ids, stream: stream, deliver)
        }
    }

    /// Takes over messages idle longer than the claim time on any consumer.
    func claimIdle(stopping: () -> Bool, _ deliver: Deliver) async throws {
        for stream in transport.streams {
            var start = "0-0"
            for _ in 0..<20 {
                let (next, ids, removed) = try await transport.claimIdle(stream: stream, minIdleMilliseconds: settings.claimIdleMilliseconds,
                                                                          count: settings.batchSize, from: start)
                forgotten(removed.count, stream: stream)
                if !ids.isEmpty {
                    claimed.increment(by: ids.count)
                    logger.info("claimed idle messages", metadata: ["stream": "\(stream)", "count": "\(ids.count)"])
                    try await takeOver(ids, stream: stream, parkLater: true, deliver)
                }
                if next == "0-0" || stopping() { break }
                start = next
            }
        }
    }

    /// Reclaims the parked messages from this consumer to itself well within the claim time;
    /// messages no longer pending (acknowledged elsewhere, trimmed) are forgotten.
    func keepParked() async throws {
        for (stream, ids) in parked.held {
            for chunk in stride(from: 0, to: ids.count, by: 1_000).map({ Array(ids[$0..<min($0 + 1_000, ids.count)]) }) {
                let kept = try await transport.keep(chunk, stream: stream)
                let gone = chunk.filter { !kept.contains($0) }
                if !gone.isEmpty {
                    parked.forget(gone, stream: stream)
                    try await transport.clearRetries(gone.map { (stream, $0) })
                }
            }
        }
    }

    /// This consumer's own pending messages: those due are delivered; those parked for later
    /// stay parked (at start) or are left for another instance to take over when due (at shutdown).
    func handleOwnPending(atShutdown: Bool, _ deliver: Deliver) async {
        do {
            for stream in transport.streams {
                var after: String?
                while true {
                    let ids = try await transport.ownPending(stream: stream, after: after, count: settings.batchSize)
                    if ids.isEmpty { break }
                    try await takeOver(ids, stream: stream, parkLater: !atShutdown, deliver)
                    if ids.count < settings.batchSize { break }
                    after = ids.last
                }
            }
        } catch {
            logger.warning("could not finish this consumer's pending messages; another instance will claim them", metadata: ["error": "\(error)"])
        }
    }

    /// Messages this consumer now holds: those due (or never scheduled) are delivered now, the
    /// rest parked until due (or, at shutdown, left for another instance to take over).
    private func takeOver(_ ids: [String], stream: String, parkLater: Bool, _ deliver: Deliver) async throws {
        if ids.isEmpty { return }
        let now = clock()
        var due: [String] = []
        var later: [RetryBook.Entry] = []
        for (id, entry) in zip(ids, try await transport.retries(ids, stream: stream)) {
            if let entry, entry.due > now { later.append(entry) } else { due.append(id) }
        }
        if parkLater { parked.park(later) }
        try await redeliver(due, stream: stream, deliver)
    }

    /// Delivers messages of this consumer again, in stream order, counting the delivery.
    private func redeliver(_ unordered: [String], stream: String, _ deliver: Deliver) async throws {
        let ids = unordered.sorted(by: StreamID.ascending)
        for start in stride(from: 0, to: ids.count, by: settings.batchSize) {
            let chunk = Array(ids[start..<min(start + settings.batchSize, ids.count)])
            let (messages, gone) = try await transport.redeliver(chunk, stream: stream)
            if !gone.isEmpty {
                // Acknowledged meanwhile, or trimmed away: nothing to deliver, nothing to wait for.
                forgotten(gone.count, stream: stream)
                try await transport.clearRetries(gone.map { (stream, $0) })
                try await transport.acknowledge(gone, stream: stream)
            }
            try await deliver(messages)
        }
    }

    private func forgotten(_ count: Int, stream: String) {
        guard count > 0 else { return }
        vanished.increment(by: count)
        logger.warning("pending entries no longer exist in the stream (trimmed, or acknowledged elsewhere); dropping them",
                       metadata: ["stream": "\(stream)", "count": "\(count)"])
    }
}
