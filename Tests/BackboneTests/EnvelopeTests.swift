import Contract
import Backbone
import Daemon
import JSON
import Testing

@Suite("Envelope and environment")
struct EnvelopeTests {
    func message(_ fields: [(String, String)]) -> StreamMessage {
        StreamMessage(stream: "s", id: "1-0", fields: fields.map { StreamField($0.0, $0.1) })
    }

    @Test func readsTheContractFields() throws {
        let envelope = try EventEnvelope(message([("type", "OrderPlaced"), ("orderId", "o1"), ("at", "1700000000000"), ("data", "{}")]))
        #expect(envelope == EventEnvelope(type: "OrderPlaced", orderId: "o1", at: 1_700_000_000_000, data: "{}"))
        #expect(envelope.fields.map(\.0) == ["type", "orderId", "at", "data"])
    }

    @Test(arguments: [
        [("orderId", "o1"), ("data", "{}")],
        [("type", "OrderPlaced"), ("data", "{}")],
        [("type", "OrderPlaced"), ("orderId", "o1")],
        [("type", "OrderPlaced"), ("orderId", "o1"), ("at", "yesterday"), ("data", "{}")],
        [("type", ""), ("orderId", "o1"), ("data", "{}")],
    ])
    func rejectsEntriesMissingContractFields(_ fields: [(String, String)]) {
        #expect(throws: MalformedEvent.self) { try EventEnvelope(self.message(fields)) }
    }

    @Test func environmentDefaultsAndErrors() throws {
        let defaults = try BaedalEnvironment([:])
        #expect(defaults.redis.port == 6379)
        #expect(defaults.keys.dead == "baedal:dead")
        #expect(defaults.claimIdleMilliseconds == 30_000)
        #expect(defaults.maxDeliveries == 25)
        #expect(defaults.retryFirstMilliseconds == 1_000 && defaults.retryMaxMilliseconds == 600_000)
        #expect(!defaults.consumer.isEmpty)
        let custom = try BaedalEnvironment(["BAEDAL_PREFIX": "blue", "BAEDAL_CONSUMER": "w-2", "BAEDAL_CLAIM_IDLE_MS": "500"])
        #expect(custom.keys.stream(.delivery) == "blue:events:delivery")
        #expect(custom.consumer == "w-2")
        #expect(custom.claimIdleMilliseconds == 500)
        #expect(throws: BaedalEnvironment.Invalid.self) { try BaedalEnvironment(["BAEDAL_REDIS_URL": "localhost:6379"]) }
        #expect(throws: BaedalEnvironment.Invalid.self) { try BaedalEnvironment(["BAEDAL_MAX_DELIVERIES": "0"]) }
        #expect(throws: BaedalEnvironment.Invalid.self) { try BaedalEnvironment(["BAEDAL_CLAIM_IDLE_MS": "soon"]) }
        #expect(throws: BaedalEnvironment.Invalid.self) { try BaedalEnvironment(["BAEDAL_RETRY_FIRST_MS": "5000", "BAEDAL_RETRY_MAX_MS": "1000"]) }
    }
}
