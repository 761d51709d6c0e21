import Contract
import Backbone
import Daemon
import JSON
import Logging
import Testing

/// The pure halves of the hostile-input fixes (issue 9): the id rule, unambiguous keys, JSON
/// that cannot nest deep enough to overflow a stack, and log lines that cannot be forged.
@Suite("Hostile input, without Redis")
struct HostileInputUnitTests {
    @Test(arguments: ["s-gangnam-chicken", "o-0123abcd", "가게", "c_1.x", "ＡＢＣ", String(repeating: "a", count: 64), "점포-7"])
    func idsThatAreIds(_ id: String) {
        #expect(Identifier.problem(id) == nil, "\(id)")
    }

    @Test(arguments: [
        "", "s9:board", "a b", "a\nb", "a\u{0}b", "%41", "s*", "s?", "[s]", "a\\b", "a/b", "a\tb", "a\u{2028}b",
        String(repeating: "a", count: 65), String(repeating: "x", count: 10_000), "baedal:store:s1", "😀", "a#b", "a\"b",
    ])
    func idsThatAreNot(_ id: String) {
        #expect(Identifier.problem(id) != nil, "\(id.prefix(20))")
    }

    @Test func keysOfDistinctPartsNeverMeet() {
        let keys = Keys()
        // The collisions of issue 9: a store named s9:board on s9's board, a customer c1:k's key z on c1's key k:z.
        #expect(keys.key("store", "s9:board") != keys.key("store", "s9", "board"))
        #expect(keys.idempotency("order", "c1", key: "k:z") != keys.idempotency("order", "c1:k", key: "z"))
        #expect(keys.key("store", "a%3Ab") != keys.key("store", "a:b"))
        // Valid ids read as they are.
        #expect(keys.key("store", "가게", "board") == "baedal:store:가게:board")
        #expect(keys.key("customer", "c-1", "orders") == "baedal:customer:c-1:orders")
        // Glob characters cannot widen an operator's SCAN.
        #expect(keys.key("customer", "*", "orders") == "baedal:customer:%2A:orders")
        // Injective on a sample of hostile parts.
        let parts = ["a", "a:b", "a%3Ab", "a%", "%", ":", "a:", ":a", "*", "%2A", "a:b:c", "a", "b"]
        var seen: [String: [String]] = [:]
        for first in parts { for second in parts {
            let key = keys.key(first, second)
            if let earlier = seen[key], earlier != [first, second] { Issue.record("\(earlier) and \([first, second]) share \(key)") }
            seen[key] = [first, second]
        } }
    }

    @Test func jsonNestedPastTheLimitIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONReader.Failure.self) { try JSONReader.read(deep) { reader throws(JSONReader.Failure) in try reader.skipValue() } }
        let objects = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        #expect(throws: JSONReader.Failure.self) { try JSONReader.read(objects) { reader throws(JSONReader.Failure) in try reader.skipValue() } }
        let fine = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        #expect(throws: Never.self) { try JSONReader.read(fine) { reader throws(JSONReader.Failure) in try reader.skipValue() } }
    }

    @Test func invalidUTF8IsRefusedNotRepaired() {
        let bytes: [UInt8] = Array(#"{"name":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        let failed = bytes.withUnsafeBytes { raw -> Bool in
            do throws(JSONReader.Failure) {
                try JSONReader.read(bytes: raw) { reader throws(JSONReader.Failure) in try reader.skipValue() }
                return false
            } catch {
                return true
            }
        }
        #expect(failed)
    }

    @Test func errorPathsAreCut() {
        let key = String(repeating: "k", count: 50_000)
        do throws(JSONReader.Failure) {
            try JSONReader.read(#"{"\#(key)":true}"#) { reader throws(JSONReader.Failure) in
                try reader.readObject { reader, _ throws(JSONReader.Failure) in _ = try reader.readInt() }
            }
            Issue.record("a boolean read as a number")
        } catch {
            #expect(error.description.utf8.count < 300)
        }
    }

    @Test func logLinesCannotBeForged() {
        var line = ""
        LogLine.escape("gangnam\n2026-11-22T00:00:00.000Z critical baedal.api : forged", into: &line)
        #expect(!line.contains("\n"))
        #expect(line == #"gangnam\n2026-11-22T00:00:00.000Z critical baedal.api : forged"#)
        var other = ""
        LogLine.escape("a\r\u{0}\u{85}\u{2028}\\b", into: &other)
        #expect(other == #"a\r\u{0}\u{85}\u{2028}\\b"#)
        var plain = ""
        LogLine.escape("강남 치킨 …", into: &plain)
        #expect(plain == "강남 치킨 …")
    }

    @Test func eventsWithBadIdsOrBytesAreMalformed() {
        func envelope(_ fields: [StreamField]) throws(MalformedEvent) -> EventEnvelope {
            try EventEnvelope(StreamMessage(stream: "baedal:events:order", id: "1-0", fields: fields))
        }
        let data = StreamField("data", "{}")
        #expect(throws: MalformedEvent.self) { try envelope([StreamField("type", "OrderPlaced"), StreamField("orderId", "o:1"), data]) }
        #expect(throws: MalformedEvent.self) { try envelope([StreamField("type", "OrderPlaced"), StreamField("orderId", "o1"), StreamField("data", [0x7B, 0xFF, 0x7D])]) }
        #expect(throws: MalformedEvent.self) { try envelope([StreamField("type", [0xC3]), StreamField("orderId", "o1"), data]) }
        #expect(throws: Never.self) { try envelope([StreamField("type", "OrderPlaced"), StreamField("orderId", "o-1"), data]) }
    }
}
