import Contract
import Tracing

/// The CONSUMER span of one delivered entry, after OpenTelemetry's messaging conventions:
/// `process <stream>`, a child of the context the producer wrote on the entry and linked to it
/// (a redelivery or a claim carries the same entry, so it links to the same context; an entry
/// without one, written by hand, starts a trace), with `messaging.system` `redis`, the stream,
/// the group, the entry id and the delivery count. The effects it asks for are stamped with its
/// own context, so what it writes continues the trace.
enum MessageSpan {
    static func start(_ message: StreamMessage, group: String, consumer: String) -> any Span {
        guard ActiveTracer.isOn else { return NoOpTracer.NoOpSpan(context: .topLevel) }
        let producer = TraceFields.context(of: message)
        let span = ActiveTracer.tracer.startSpan("process \(message.stream)", context: producer ?? .topLevel, ofKind: .consumer)
        guard span.isRecording else { return span }
        if let producer { span.addLink(SpanLink(context: producer, attributes: [:])) }
        span.updateAttributes { attributes in
            attributes["messaging.system"] = "redis"
            attributes["messaging.operation.type"] = "process"
            attributes["messaging.operation.name"] = "process"
            attributes["messaging.destination.name"] = message.stream
            attributes["messaging.consumer.group.name"] = group
            attributes["messaging.client.id"] = consumer
            attributes["messaging.message.id"] = message.id
            attributes["messaging.redis.message.delivery_count"] = message.deliveries
            if let orderId = message.string("orderId") { attributes["baedal.order_id"] = String(orderId.prefix(128)) }
            if let type = message.string("type") { attributes["baedal.event.type"] = String(type.prefix(64)) }
        }
        return span
    }

    /// `effects` with every entry it appends carrying `span`'s context.
    static func stamped(_ effects: Effects, by span: any Span) -> Effects {
        guard ActiveTracer.isOn else { return effects }
        let trace = TraceFields.of(span.context)
        guard !trace.isEmpty, effects.writes.contains(where: { if case .append = $0 { true } else { false } }) else { return effects }
        return Effects(effects.writes.map { write in
            guard case .append(let stream, let fields) = write else { return write }
            return .append(stream: stream, fields: TraceFields.stamped(fields, with: trace))
        })
    }
}
