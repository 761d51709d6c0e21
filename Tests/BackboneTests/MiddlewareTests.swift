import Contract
import Backbone
import JSON
import Logging
import Synchronization
import Testing

@Suite("Middleware around a handler")
struct MiddlewareTests {
    let deadLetter = DeadLetter(deadStream: "t:dead", group: "g", consumer: "c")
    let message = StreamMessage(stream: "t:events:order", id: "1-0", fields: [StreamField("type", "OrderPlaced"), StreamField("orderId", "o1")])

    struct Flaky: Error {}

    @Test func malformedEventsAreDeadLetteredAtOnce() async throws {
        let handler = StandardMiddleware.deadLetter(deadLetter, maxDeliveries: 5, logger: Logger(label: "t"))({ _ in throw MalformedEvent("no items") })
        let effects = try await handler(message)
        guard case .append(let stream, let fields)? = effects.writes.first else {
            Issue.record("expected a dead letter, got \(effects)")
            return
        }
        #expect(stream == "t:dead")
        let names = fields.map(\.name)
        #expect(names == ["stream", "id", "group", "consumer", "deliveries", "reason", "type", "orderId"])
        #expect(String(decoding: fields[5].value, as: UTF8.self) == "malformed event: no items")
    }

    @Test func otherFailuresAreDeadLetteredOnlyOnTheLastDelivery() async throws {
        let handler = StandardMiddleware.deadLetter(deadLetter, maxDeliveries: 3, logger: Logger(label: "t"))({ _ in throw Flaky() })
        var early = message
        early.deliveries = 2
        await #expect(throws: Flaky.self) { try await handler(early) }
        var last = message
        last.deliveries = 3
        #expect(try await handler(last).writes.count == 1)
    }

    @Test func aMessageDeliveredTooOftenIsNotHandledAgain() async throws {
        let calls = Atomic<Int>(0)
        let handler = StandardMiddleware.deadLetter(deadLetter, maxDeliveries: 3, logger: Logger(label: "t"))({ _ in
            calls.add(1, ordering: .relaxed)
            return .none
        })
        var crashedOften = message
        crashedOften.deliveries = 4
        #expect(try await handler(crashedOften).writes.count == 1)
        #expect(calls.load(ordering: .relaxed) == 0)
    }

    @Test func chainAppliesOutermostFirst() async throws {
        let order = Mutex<[String]>([])
        func tag(_ name: String) -> Middleware {
            { next in { message in order.withLock { $0.append(name) }; return try await next(message) } }
        }
        _ = try await chain([tag("a"), tag("b")], { _ in order.withLock { $0.append("h") }; return .none })(message)
        #expect(order.withLock { $0 } == ["a", "b", "h"])
    }
}
