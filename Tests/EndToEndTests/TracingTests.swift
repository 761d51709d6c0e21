import Foundation
import Redis
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 22's traces, with every real process exporting to an OTLP/HTTP collector in the test
/// (`OTLPReceiver`, which decodes the protobuf with opentelemetry-proto): one order taken through
/// the whole scenario is followed across the API, the gateway, the streams and every policy.
@Suite("Traces through HTTP and the streams", .serialized)
struct TracingTests {
    static let streams = ["order", "payment", "store", "delivery", "payment-voids", "notify-webhook"]

    struct Entry {
        var stream: String
        var id: String
        var fields: [String: String]
    }

    static func entries(_ deployment: Deployment) throws -> [Entry] {
        try streams.flatMap { name in
            try deployment.streamKeys(name).flatMap { key in
                (try deployment.redisCommand("XRANGE", key, "-", "+").array ?? []).compactMap { entry -> Entry? in
                    guard let id = entry.array?.first?.string else { return nil }
                    return Entry(stream: key, id: id, fields: (entry.array?.last ?? .null).fields.compactMapValues(\.string))
                }
            }
        }
    }

    static func groups(_ deployment: Deployment, _ stream: String) throws -> [String] {
        (try deployment.redisCommand("XINFO", "GROUPS", stream).array ?? []).compactMap { $0.fields["name"]?.string }
    }

    /// The consumer span of `entry` in `group`, if exported.
    static func consumerSpan(_ spans: [OTLPReceiver.Span], _ entry: Entry, group: String) -> OTLPReceiver.Span? {
        spans.first { $0.kind == "consumer" && $0.string("messaging.message.id") == entry.id && $0.string("messaging.consumer.group.name") == group
            && $0.string("messaging.destination.name") == entry.stream }
    }

    @Test func oneOrderIsFollowedAcrossTheAPITheGatewayTheStreamsAndEveryPolicy() async throws {
        let collector = try await OTLPReceiver()
        let webhook = try WebhookReceiver()
        let deployment = try await Deployment(api: ["BAEDAL_TRACE_URL": "http://jaeger.example:16686/trace/{traceId}"],
                                              workers: ["store-inbox", "payment-refund", "delivery-dispatch", "projector"],
                                              environment: collector.environment)
        // The notification worker logs JSON at debug level: its lines inside a span carry the trace.
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": webhook.url, "BAEDAL_LOG_FORMAT": "json", "BAEDAL_LOG_LEVEL": "debug"])
        let customer = try await deployment.customer("c-traced")
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let rider = try await deployment.rider("r-traced")

        let orderId = try await deployment.placed(customer, items: [("fried-chicken", 1), ("cola", 1)])
        #expect(await eventually(seconds: 10) {
            (try? await deployment.call("GET", "/stores/s-gangnam-chicken/orders", token: owner))?.array.contains { $0["orderId"] as? String == orderId } == true
        })
        for step in ["accept", "start-cooking", "finish-cooking"] {
            #expect(try await deployment.call("POST", "/orders/\(orderId)/\(step)", token: owner).status == 200)
        }
        #expect(await eventually(seconds: 10) { (try? deployment.eventTypes("delivery", orderId: orderId)) == ["DeliveryOpened"] })
        #expect(try await deployment.call("POST", "/deliveries/\(orderId)/pick", token: rider).status == 200)
        #expect(try await deployment.call("POST", "/deliveries/\(orderId)/deliver", token: rider).status == 200)
        #expect(try await deployment.call("POST", "/orders/\(orderId)/confirm", token: customer).status == 200)
        // A cancelled order: the refund goes from a policy to the gateway.
        let cancelled = try await deployment.placed(customer)
        #expect(try await deployment.call("POST", "/orders/\(cancelled)/cancel", token: customer, body: #"{"reason":"traced"}"#).status == 200)
        #expect(await eventually(seconds: 15) {
            (try? deployment.eventTypes("payment", orderId: cancelled)) == ["PaymentApproved", "PaymentCancelled"]
        }, "\(deployment.logs)")
        // An entry written by hand, without a trace context: handled as before, in a trace of its own.
        let handWritten = try #require(try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "Hello", "orderId", "o-by-hand",
                                                                    "at", "1", "data", "{}").string)
        // A poison entry, with a traceparent that is no valid one: dead-lettered, its spans errors in a trace of their own.
        let poison = try #require(try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-poison",
                                                               "at", "1", "data", "not json", "traceparent", "00-zz-\u{0}-01").string)

        // Every entry of every stream was consumed by every group of its stream, each in a
        // consumer span whose parent is the entry's producer and which links to it.
        var entries: [Entry] = []
        var spans: [OTLPReceiver.Span] = []
        let complete = await eventually(seconds: 30) {
            guard let read = try? Self.entries(deployment) else { return false }
            entries = read
            spans = collector.spans()
            return entries.allSatisfy { entry in
                ((try? Self.groups(deployment, entry.stream)) ?? []).allSatisfy { Self.consumerSpan(spans, entry, group: $0) != nil }
            }
        }
        #expect(complete, "\(deployment.logs)")
        #expect(collector.errors.isEmpty, "\(collector.errors)")
        let traced = entries.filter { $0.id != handWritten && $0.id != poison }
        #expect(traced.count >= 20, "\(traced.map(\.fields))")
        var consumerSpans = 0
        for entry in traced {
            // Test 2: every entry carries a valid traceparent, the context of the span that wrote it.
            let parent = traceparentParts(entry.fields["traceparent"])
            #expect(parent != nil, "\(entry.stream) \(entry.id) \(entry.fields)")
            guard let parent else { continue }
            #expect(parent.sampled)
            let writer = spans.first { $0.spanId == parent.spanId }
            #expect(writer?.traceId == parent.traceId, "the writer of \(entry.stream) \(entry.fields["type"] ?? "")")
            for group in try Self.groups(deployment, entry.stream) {
                guard let span = Self.consumerSpan(spans, entry, group: group) else { continue }
                consumerSpans += 1
                #expect(span.name == "process \(entry.stream)")
                #expect(span.service == "baedal-worker")
                #expect(span.resource["baedal.policy"] as? String != nil)
                #expect(span.string("messaging.system") == "redis")
                #expect(span.attributes["messaging.redis.message.delivery_count"] as? Int == 1)
                #expect(span.traceId == parent.traceId && span.parentSpanId == parent.spanId, "\(group) on \(entry.stream)")
                #expect(span.links.contains { $0.traceId == parent.traceId && $0.spanId == parent.spanId })
                #expect(span.flags == 0x301, "sampled, its parent another process's: \(span.flags)")
            }
        }
        #expect(consumerSpans >= traced.count)

        // The HTTP hops: the API's server span of the placement, its client span to the gateway,
        // the gateway's server span under it, all in one trace with the OrderPlaced it wrote.
        let placed = try #require(traced.first { $0.fields["type"] == "OrderPlaced" && $0.fields["orderId"] == orderId })
        let trace = try #require(traceparentParts(placed.fields["traceparent"])).traceId
        let inTrace = spans.filter { $0.traceId == trace }
        let server = try #require(inTrace.first { $0.service == "baedal-api" && $0.kind == "server" }, "\(inTrace.map(\.name))")
        #expect(server.string("http.request.method") == "POST" && server.name == "/orders", "\(server.name) \(server.attributes)")
        let client = try #require(inTrace.first { $0.service == "baedal-api" && $0.kind == "client" })
        #expect(client.parentSpanId == server.spanId)
        #expect(client.flags == 0x101, "a local parent: \(client.flags)")
        let gateway = try #require(inTrace.first { $0.service == "baedal-payment" && $0.kind == "server" })
        #expect(gateway.parentSpanId == client.spanId)
        let approved = try #require(traced.first { $0.fields["type"] == "PaymentApproved" && $0.fields["orderId"] == orderId })
        #expect(traceparentParts(approved.fields["traceparent"])?.spanId == gateway.spanId, "the gateway's event carries its span")
        // The refund of the cancelled order: a policy's consumer span calls the gateway, which continues it.
        let refund = try #require(spans.first { $0.service == "baedal-worker" && $0.kind == "client" && $0.name.contains("cancel") })
        #expect(spans.contains { $0.service == "baedal-payment" && $0.parentSpanId == refund.spanId && $0.traceId == refund.traceId })
        // The webhook requests carry the trace of the outbox entry they deliver.
        let outbox = traced.filter { $0.stream.hasSuffix("notify-webhook") }
        #expect(!outbox.isEmpty)
        #expect(await eventually(seconds: 10) { webhook.accepted.count >= outbox.count })
        let outboxTraces = Set(outbox.compactMap { traceparentParts($0.fields["traceparent"])?.traceId })
        #expect(webhook.accepted.allSatisfy { request in
            traceparentParts(request.headers["traceparent"]).map { outboxTraces.contains($0.traceId) } == true
        }, "\(webhook.accepted.map(\.headers))")

        // The hand-written entry: its consumer spans begin a trace of their own, with no link.
        let byHand = try #require(entries.first { $0.id == handWritten })
        for group in try Self.groups(deployment, byHand.stream) {
            let span = try #require(Self.consumerSpan(spans, byHand, group: group))
            #expect(span.parentSpanId.isEmpty && span.links.isEmpty)
            #expect(!traced.contains { traceparentParts($0.fields["traceparent"])?.traceId == span.traceId })
        }
        #expect(try deployment.redisCommand("XPENDING", "baedal:events:order", "projector").array?.first?.int == 0, "handled as before")
        let poisoned = try #require(entries.first { $0.id == poison })
        let dead = try deployment.redisCommand("XRANGE", "baedal:dead", "-", "+").array ?? []
        let buriedBy = Set(dead.map { ($0.array?.last ?? .null).fields }.filter { $0["id"]?.string == poison }.compactMap { $0["group"]?.string })
        #expect(buriedBy.contains("projector") && buriedBy.contains("store-inbox"), "\(dead)")
        for group in try Self.groups(deployment, poisoned.stream) {
            let span = try #require(Self.consumerSpan(spans, poisoned, group: group))
            #expect(span.parentSpanId.isEmpty && span.links.isEmpty, "an invalid traceparent is no context")
            // A group that dead-lettered it: an error; one that has no use for an order placed: acknowledged, no error.
            #expect(span.status == (buriedBy.contains(group) ? 2 : 0), "\(group) \(span.status)")
        }

        // Test 3: JSON log lines written inside a span carry its trace id.
        let notification = try #require(deployment.workers["notification"]?.first)
        let handled = notification.log.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["message"] as? String == "handled" }
        #expect(!handled.isEmpty, "\(notification.log.suffix(2000))")
        for line in handled {
            // Ids are per stream: the entry is the one with this id, type and order.
            let entry = entries.first { $0.id == line["id"] as? String && $0.fields["type"] == line["type"] as? String && $0.fields["orderId"] == line["orderId"] as? String }
            let span = entry.flatMap { entry in
                spans.first { $0.kind == "consumer" && $0.string("messaging.message.id") == entry.id && $0.string("messaging.destination.name") == entry.stream
                    && $0.resource["baedal.policy"] as? String == "notification" }
            }
            #expect(line["trace_id"] as? String != nil && line["trace_id"] as? String == span?.traceId, "\(line)")
            #expect((line["span_id"] as? String)?.count == 16)
        }

        // The console's timeline shows each entry's trace id, linked through BAEDAL_TRACE_URL.
        let ops = try await deployment.token("operator", "ops-traced")
        let timeline = try await deployment.call("GET", "/console/api/orders/\(orderId)", token: ops).object["timeline"] as? [String: Any]
        let shown = timeline?["events"] as? [[String: Any]] ?? []
        #expect(shown.count >= 10, "\(shown)")
        for event in shown {
            let entry = traced.first { $0.id == event["id"] as? String && $0.stream == event["stream"] as? String }
            let trace = traceparentParts(entry?.fields["traceparent"])?.traceId
            #expect(trace != nil && event["traceId"] as? String == trace, "\(event)")
            #expect(event["traceUrl"] as? String == "http://jaeger.example:16686/trace/\(trace ?? "")")
        }

        // What a trace of one order looks like (the closing note's figures).
        let orderTraces = Set(traced.filter { $0.fields["orderId"] == orderId }.compactMap { traceparentParts($0.fields["traceparent"])?.traceId })
        let orderSpans = spans.filter { orderTraces.contains($0.traceId) }
        func depth(_ span: OTLPReceiver.Span) -> Int {
            var depth = 1
            var current = span
            while let parent = orderSpans.first(where: { $0.spanId == current.parentSpanId }), depth < 100 { depth += 1; current = parent }
            return depth
        }
        print("tracing: order \(orderId): \(orderTraces.count) traces (one per request), \(orderSpans.count) spans, deepest \(orderSpans.map(depth).max() ?? 0)")
    }

    @Test func tracingSettingsThatCannotBeUsedStopTheProcessWithOneLine() async throws {
        let redis = try RedisServer()
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: [
            "BAEDAL_REDIS_URL": redis.url, "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318",
        ])
        #expect(await worker.waitForExit() == 2)
        #expect(worker.log.contains("OTEL_EXPORTER_OTLP_ENDPOINT is https://"), "\(worker.log)")
        let sampler = try BaedalProcess("baedal-payment", [], environment: [
            "BAEDAL_REDIS_URL": redis.url, "BAEDAL_PAYMENT_PORT": String(try freePort()),
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_SAMPLER": "sometimes",
        ])
        #expect(await sampler.waitForExit() == 2)
        #expect(sampler.log.contains("OTEL_TRACES_SAMPLER must be"), "\(sampler.log)")
        let api = try BaedalProcess("baedal-api", [], environment: [
            "BAEDAL_REDIS_URL": redis.url, "BAEDAL_JWT_SECRET": Deployment.secret, "BAEDAL_API_PORT": String(try freePort()),
            "BAEDAL_TRACE_URL": "javascript:alert(1)",
        ])
        #expect(await api.waitForExit() == 2)
        #expect(api.log.contains("BAEDAL_TRACE_URL must be an http:// or https:// URL with {traceId}"), "\(api.log)")
    }

    @Test func aMessageRedeliveredAfterItsConsumerWasKilledLinksToTheSameProducer() async throws {
        let collector = try await OTLPReceiver()
        let silent = try HeldSocket()  // accepts connections, never answers: the webhook call hangs
        let deployment = try await Deployment(workers: [], environment: collector.environment)
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": "http://127.0.0.1:\(silent.port)/hook"])
        let customer = try await deployment.customer("c-killed")
        _ = try await deployment.placed(customer)
        let outbox = try #require(deployment.streamKeys("notify-webhook").first)
        // The webhook sender holds the outbox entry, waiting on the silent receiver: kill it.
        #expect(await eventually(seconds: 15) {
            (try? deployment.redisCommand("XPENDING", outbox, "notification-webhook").array?.first?.int) == 1
        }, "\(deployment.logs)")
        let first = try #require(deployment.workers["notification"]?.first)
        first.signal(SIGKILL)
        _ = await first.waitForExit()
        let entry = try #require(try Self.entries(deployment).first { $0.stream == outbox })
        let producer = try #require(traceparentParts(entry.fields["traceparent"]))

        let receiver = try WebhookReceiver()
        try deployment.startWorker("notification", ["BAEDAL_NOTIFY_WEBHOOK": receiver.url])
        var span: OTLPReceiver.Span?
        #expect(await eventually(seconds: 20) {
            span = Self.consumerSpan(collector.spans(), entry, group: "notification-webhook")
            return span != nil
        }, "\(deployment.logs)")
        let redelivered = try #require(span)
        #expect((redelivered.attributes["messaging.redis.message.delivery_count"] as? Int ?? 0) >= 2, "\(redelivered.attributes)")
        #expect(redelivered.traceId == producer.traceId && redelivered.parentSpanId == producer.spanId)
        #expect(redelivered.links.map(\.spanId) == [producer.spanId])
        #expect(receiver.accepted.first.flatMap { traceparentParts($0.headers["traceparent"]) }?.traceId == producer.traceId)
    }
}
