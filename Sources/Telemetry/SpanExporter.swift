import HTTPLite
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The batch span processor and OTLP/HTTP exporter in one: ended sampled spans queue here (at
/// most `maxQueue`; beyond it they are dropped and counted, never blocking a request or a
/// worker) and are posted as protobuf to the endpoint every `delay`, or as soon as a full batch
/// waits. It runs as a service of the process: a graceful shutdown posts what is left. A
/// collector that is down loses those batches, logged once a minute at most; nothing else waits.
public final class SpanExporter: Service, SpanSink, Sendable {
    private struct Queue {
        var spans: [FinishedSpan] = []
        var dropped = 0
        var lastComplaint: ContinuousClock.Instant?
    }

    public let settings: TracingSettings
    private let queue = Mutex(Queue())
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let logger: Logger
    private let exported = Atomic<Int>(0)
    /// `baedal_trace_spans_exported_total`, `baedal_trace_spans_dropped_total{reason}` (the queue
    /// was full, or the collector refused or could not be reached).
    private let exportedCounter = Counter(label: "baedal_trace_spans_exported_total")
    private let droppedFull = Counter(label: "baedal_trace_spans_dropped_total", dimensions: [("reason", "queue_full")])
    private let droppedExport = Counter(label: "baedal_trace_spans_dropped_total", dimensions: [("reason", "export_failed")])

    init(settings: TracingSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Spans posted so far (tests and the bench read it).
    public var exportedCount: Int { exported.load(ordering: .relaxed) }

    /// Spans waiting to be posted.
    public var queued: Int { queue.withLock(\.spans.count) }

    func finished(_ span: FinishedSpan) {
        let full: Bool = queue.withLock { queue in
            guard queue.spans.count < settings.maxQueue else {
                queue.dropped += 1
                return false
            }
            queue.spans.append(span)
            return queue.spans.count == settings.maxBatch
        }
        if full { wake.yield() }
    }

    func requestFlush() { wake.yield() }

    public func run() async throws {
        let delay = settings.delay
        await withTaskGroup(of: Void.self) { group in
            // A tick every `delay`, as a wake-up like a full batch's.
            group.addTask { [wake] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: delay)
                    wake.yield()
                }
            }
            await cancelWhenGracefulShutdown {
                for await _ in self.wakes {
                    await self.exportAll()
                    if Task.isCancelled { break }
                }
            }
            group.cancelAll()
        }
        await exportAll()
    }

    /// Posts everything queued, a batch at a time, for at most `exportTimeout`; a failed post
    /// ends the round (the collector is down or slow: the rest waits for the next one, or is
    /// dropped when the queue is full), so a shutdown never waits longer than that.
    public func exportAll() async {
        let deadline = ContinuousClock.now + settings.exportTimeout
        while ContinuousClock.now < deadline {
            let (batch, dropped): ([FinishedSpan], Int) = queue.withLock { queue in
                let batch = Array(queue.spans.prefix(settings.maxBatch))
                queue.spans.removeFirst(batch.count)
                defer { queue.dropped = 0 }
                return (batch, queue.dropped)
            }
            if dropped > 0 {
                droppedFull.increment(by: dropped)
                complain("spans were dropped: the export queue was full", ["dropped": "\(dropped)"])
            }
            if batch.isEmpty { return }
            if !(await post(batch, timeout: min(settings.timeout, deadline - ContinuousClock.now))) { return }
        }
    }

    /// Whether the collector took the batch.
    private func post(_ batch: [FinishedSpan], timeout: Duration) async -> Bool {
        let body = OTLPEncoding.request(batch, resource: settings.resource)
        do {
            let response = try await HTTPLite.send("POST", settings.endpoint,
                                                   headers: [("Content-Type", "application/x-protobuf")] + settings.headers,
                                                   body: body, timeout: max(timeout, .milliseconds(1)))
            if (200..<300).contains(response.status) {
                exported.add(batch.count, ordering: .relaxed)
                exportedCounter.increment(by: batch.count)
                return true
            }
            droppedExport.increment(by: batch.count)
            complain("the trace collector refused spans", ["status": "\(response.status)", "spans": "\(batch.count)"])
        } catch {
            droppedExport.increment(by: batch.count)
            complain("the trace collector cannot be reached; spans dropped", ["error": "\(error)", "spans": "\(batch.count)"])
        }
        return false
    }

    /// One warning a minute at most.
    private func complain(_ message: Logger.Message, _ metadata: Logger.Metadata) {
        let now = ContinuousClock.now
        let speak: Bool = queue.withLock { queue in
            if let last = queue.lastComplaint, now - last < .seconds(60) { return false }
            queue.lastComplaint = now
            return true
        }
        if speak { logger.warning(message, metadata: metadata.merging(["endpoint": "\(settings.endpoint)"]) { $1 }) }
    }
}
