import Tracing

/// `ExportTraceServiceRequest` (opentelemetry-proto, `collector/trace/v1`) for one process's
/// spans: one resource (the service and its attributes), one scope (`baedal`).
enum OTLPEncoding {
    static func request(_ spans: [FinishedSpan], resource: [(String, String)]) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.message(1) { resourceSpans in                         // ResourceSpans
            resourceSpans.message(1) { resourceMessage in            // Resource
                for (key, value) in resource { resourceMessage.message(1) { keyValue(&$0, key, .string(value)) } }
            }
            resourceSpans.message(2) { scopeSpans in                 // ScopeSpans
                scopeSpans.message(1) { scope in scope.string(1, "baedal") }
                for span in spans { scopeSpans.message(2) { encode(span, into: &$0) } }
            }
        }
        return writer.bytes
    }

    static func encode(_ span: FinishedSpan, into w: inout ProtobufWriter) {
        w.bytes(1, span.context.traceID.bytes)
        w.bytes(2, span.context.spanID.bytes)
        if let state = span.context.state { w.string(3, state) }
        if let parent = span.parentSpanID { w.bytes(4, parent.bytes) }
        w.string(5, span.name)
        w.varint(6, kind(span.kind))
        w.fixed64(7, span.start)
        w.fixed64(8, max(span.end, span.start))
        span.attributes.forEach { key, value in w.message(9) { keyValue(&$0, key, value) } }
        for event in span.events {
            w.message(11) { e in
                e.fixed64(1, event.nanosecondsSinceEpoch)
                e.string(2, event.name)
                event.attributes.forEach { key, value in e.message(3) { keyValue(&$0, key, value) } }
            }
        }
        for link in span.links {
            w.message(13) { l in
                l.bytes(1, link.traceID.bytes)
                l.bytes(2, link.spanID.bytes)
                if let state = link.state { l.string(3, state) }
                // Flags: the trace flags, "is remote" known (0x100) and whether it is (0x200).
                l.fixed32(6, (link.sampled ? 1 : 0) | 0x100 | (link.isRemote ? 0x200 : 0))
            }
        }
        if let status = span.status {
            w.message(15) { s in
                if let message = status.message { s.string(2, message) }
                s.varint(3, status.code == .ok ? 1 : 2)
            }
        }
        w.fixed32(16, (span.context.sampled ? 1 : 0) | (span.parentSpanID == nil ? 0 : 0x100 | (span.parentIsRemote ? 0x200 : 0)))
    }

    static func kind(_ kind: SpanKind) -> UInt64 {
        switch kind {
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        }
    }

    static func keyValue(_ w: inout ProtobufWriter, _ key: String, _ value: SpanAttribute) {
        w.string(1, key)
        w.message(2) { anyValue(&$0, value) }
    }

    static func anyValue(_ w: inout ProtobufWriter, _ value: SpanAttribute) {
        switch value {
        case .string(let text): w.string(1, text); if text.isEmpty { w.tag(1, 2); w.varint(0) }
        case .bool(let flag): w.tag(2, 0); w.varint(flag ? 1 : 0)
        case .int32(let number): w.tag(3, 0); w.varint(UInt64(bitPattern: Int64(number)))
        case .int64(let number): w.tag(3, 0); w.varint(UInt64(bitPattern: number))
        case .double(let number): w.double(4, number)
        case .stringArray(let values): w.message(5) { a in for v in values { a.message(1) { anyValue(&$0, .string(v)) } } }
        case .int64Array(let values): w.message(5) { a in for v in values { a.message(1) { anyValue(&$0, .int64(v)) } } }
        case .int32Array(let values): w.message(5) { a in for v in values { a.message(1) { anyValue(&$0, .int32(v)) } } }
        case .doubleArray(let values): w.message(5) { a in for v in values { a.message(1) { anyValue(&$0, .double(v)) } } }
        case .boolArray(let values): w.message(5) { a in for v in values { a.message(1) { anyValue(&$0, .bool(v)) } } }
        case .stringConvertibleArray(let values): w.message(5) { a in for v in values { a.message(1) { anyValue(&$0, .string("\(v)")) } } }
        case .stringConvertible(let value): anyValue(&w, .string("\(value)"))
        default: anyValue(&w, .string("\(value)"))
        }
    }
}
