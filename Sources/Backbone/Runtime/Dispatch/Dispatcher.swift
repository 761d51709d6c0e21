import Contract
import Logging
import Tracing

/// Hands each message of a batch to the policy through its middleware (Watermill's router: the
/// replay filter, failure logging, dead letters, metrics, one concern per file) and sorts the
/// answers: the messages handled, with the writes they want, and the ones whose handling
/// failed, with when they are due again (`RetrySchedule`).
struct Dispatcher: Sendable {
    let handler: Handler
    let schedule: RetrySchedule
    let clock: EpochClock
    let group: String
    let consumer: String
    let deadStream: String

    init(policy: Policy, settings: WorkerSettings, deadLetter: DeadLetter, clock: @escaping EpochClock, logger: Logger) {
        handler = chain([
            StandardMiddleware.replayedOnlyFor(policy.name),
            StandardMiddleware.logging(logger, schedule: settings.retry),
            StandardMiddleware.deadLetter(deadLetter, maxDeliveries: settings.maxDeliveries, logger: logger),
            // Inside the dead letters: a message buried counts as failed here and dead-lettered there.
            StandardMiddleware.metrics(policy: policy.name),
        ], policy.handle)
        schedule = settings.retry
        self.clock = clock
        group = policy.name
        consumer = settings.consumer
        deadStream = deadLetter.stream
    }

    struct Sorted: Sendable {
        /// Handled messages with their writes, in batch order, with the message each came from
        /// and its consumer span (`MessageSpan`), which the worker ends once the writes are applied.
        var handled: [(handled: Handled, message: StreamMessage, span: any Span)] = []
        /// Failed messages, with when each is due again.
        var failed: [RetryBook.Entry] = []
    }

    func dispatch(_ batch: [StreamMessage]) async -> Sorted {
        var sorted = Sorted()
        sorted.handled.reserveCapacity(batch.count)
        for message in batch {
            // The policy runs inside the message's span: its calls (the gateway, the webhook) and
            // its log lines carry the trace, and the entries it appends carry the span's context.
            let span = MessageSpan.start(message, group: group, consumer: consumer)
            do {
                let effects = ActiveTracer.isOn
                    ? try await InstrumentationContext.$current.withValue(span.context) { try await handler(message) }
                    : try await handler(message)
                if span.isRecording, effects.writes.contains(where: { if case .append(deadStream, _) = $0 { true } else { false } }) {
                    span.setStatus(SpanStatus(code: .error, message: "dead-lettered"))
                }
                sorted.handled.append((Handled(stream: message.stream, id: message.id, effects: MessageSpan.stamped(effects, by: span),
                                               redelivered: message.deliveries > 1), message, span))
            } catch {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error, message: "handling failed; delivered again later"))
                span.end()
                let due = schedule.due(afterDelivery: message.deliveries, now: clock())
                sorted.failed.append(RetryBook.Entry(stream: message.stream, id: message.id, due: due, deliveries: message.deliveries, reason: "\(error)"))
            }
        }
        return sorted
    }
}
