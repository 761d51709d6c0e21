import Contract
import Backbone
import Numbers
import Testing

/// Values that come from outside (Redis, a stream entry, a token, a path): read strictly at the
/// edge, and arithmetic on them that cannot trap (issue 18, items 1–3, 6, 9, 11).
@Suite("Untrusted values, without Redis")
struct UntrustedValuesTests {
    @Test func clampedArithmeticNeverTraps() {
        #expect(Int64.min.clampedSubtracting(1) == .min)
        #expect(Int64(5).clampedSubtracting(.min) == .max)
        #expect(Int64.max.clampedAdding(1) == .max)
        #expect(Int64.min.clampedAdding(-1) == .min)
        #expect(Int64.max.clampedMultiplied(by: 3) == .max)
        #expect(Int64.min.clampedMultiplied(by: 3) == .min)
        #expect(Int64(-4).clampedMultiplied(by: -4) == 16)
        #expect([Int.max, 1, 2].clampedSum() == .max)
        #expect([3, 4].clampedSum() == 7)
        // The worker's three crashes: now minus an absurd `at`, an absurd time minus a look-behind.
        #expect(Int64(1_700_000_000_000).clampedSubtracting(.min) == .max)
        #expect(Int64.min.clampedSubtracting(60_000) == .min)
    }

    @Test func timesFromOutsideAreWithinTheYears1970To9999() {
        #expect(EpochTime.milliseconds("1700000000000") == 1_700_000_000_000)
        #expect(EpochTime.milliseconds("0") == 0)
        #expect(EpochTime.milliseconds("253402300799999") == EpochTime.latest)
        for text in ["-1", "-9223372036854775808", "9223372036854775807", "253402300800000", "1e3", "", " 5", "0x10"] {
            #expect(EpochTime.milliseconds(text) == nil, "\(text)")
        }
    }

    @Test func anEnvelopeWithAnAbsurdTimeIsMalformedNotACrash() {
        for at in ["-9223372036854775808", "9223372036854775807", "-1", String(repeating: "9", count: 400)] {
            let message = StreamMessage(stream: "s", id: "1-0", fields: [
                StreamField("type", "PaymentVoidRequested"), StreamField("orderId", "o-v"), StreamField("at", at), StreamField("data", "{}"),
            ])
            #expect(throws: MalformedEvent.self) { try EventEnvelope(message) }
        }
    }

    @Test func aRetryScheduleTakesAnyDeliveryCount() {
        let schedule = RetrySchedule(firstMilliseconds: 1_000, maxMilliseconds: 600_000)
        #expect(schedule.delay(afterDelivery: .min) == 1_000)
        #expect(schedule.delay(afterDelivery: .max) == 600_000)
    }

    @Test(arguments: ["0-0", "1-2", "1700000000000-0", "18446744073709551615-18446744073709551615"])
    func streamIdsThatAreIds(_ id: String) {
        #expect(StreamID(id)?.description == id)
    }

    /// What Redis refuses must be refused first, as bad input (the console answered 500).
    @Test(arguments: ["1-2-", "-1-2", "1--2", "+1-2", "1-+2", "1", "-", "1-", "-1", "", " 1-2", "1-2 ", "a-b", "18446744073709551616-0", "1_2", "1-2-3"])
    func streamIdsThatAreNot(_ id: String) {
        #expect(StreamID(id) == nil, "\(id)")
    }

    @Test func streamIdsSortAsNumbers() {
        #expect(StreamID.ascending("9-0", "10-0"))
        #expect(StreamID.ascending("5-9", "5-10"))
        #expect(!StreamID.ascending("10-0", "9-0"))
    }

    /// One identity for ids: the composed form only, so Swift's canonical equality and Redis's
    /// bytes agree (item 6). Each pair is canonically equal; only its NFC member is an id.
    @Test(arguments: [
        ("가나", "\u{1100}\u{1161}\u{1102}\u{1161}"),  // Hangul syllables / conjoining jamo
        ("가게", "\u{1100}\u{1161}\u{1100}\u{1166}"),
        ("é", "e\u{301}"),  // precomposed / combining acute
        ("Å", "\u{212B}"),  // A with ring / the ångström sign (a singleton decomposition)
        ("Å", "A\u{30A}"),
        ("ṩ", "s\u{323}\u{307}"),  // two combining marks, reordered by normalisation
    ])
    func onlyTheComposedFormOfAnIdIsAnId(_ composed: String, _ other: String) {
        #expect(composed == other, "the pair is canonically equal, as Swift compares")
        #expect(Array(composed.utf8) != Array(other.utf8))
        #expect(Identifier.problem(composed) == nil)
        let problem = Identifier.problem(other)
        #expect(problem?.contains("Normalization Form C") == true, "\(problem ?? "accepted")")
    }

    /// An id's problem explains itself once (the rule was appended twice).
    @Test(arguments: ["s¹", "", "a b", "s:1"])
    func problemsExplainTheRuleOnce(_ id: String) throws {
        let problem = try #require(Identifier.problem(id))
        #expect(problem.components(separatedBy: "ids are").count <= 2, "\(problem)")
    }
}

/// Any entry Redis accepts can be dead-lettered: one beyond what a script can copy is kept in
/// part, and says so (issue 18, item 4).
@Suite("Dead letters of any entry")
struct DeadLetterSizeTests {
    @Test func anEntryOfThousandsOfFieldsIsKeptInPart() throws {
        let fields = [StreamField("type", "OrderPlaced"), StreamField("orderId", "o-1")] + (0..<4_500).map { StreamField("f\($0)", "x") }
        let message = StreamMessage(stream: "baedal:events:order", id: "1-0", fields: fields)
        let letter = DeadLetter(deadStream: "baedal:dead", group: "g", consumer: "c")
        guard case .append(_, let written) = letter.effects(for: message, reason: "malformed").writes.first else { Issue.record("no append"); return }
        #expect(written.count == DeadLetter.headerFields.count + 1 + DeadLetter.maxCopiedFields)
        #expect(written[6].name == DeadLetter.truncatedField)
        #expect(String(decoding: written[6].value, as: UTF8.self).contains("kept 1000 of 4502 fields"))
        #expect(written[7].name == "type", "the original's first fields come first")
    }

    @Test func anOrdinaryEntryIsCopiedWhole() throws {
        let message = StreamMessage(stream: "s", id: "1-0", fields: [StreamField("type", "T"), StreamField("data", Array(repeating: 0x41, count: 10_000))])
        guard case .append(_, let written) = DeadLetter(deadStream: "d", group: "g", consumer: "c").effects(for: message, reason: "r").writes.first
        else { Issue.record("no append"); return }
        #expect(written.count == DeadLetter.headerFields.count + 2)
        #expect(!written.contains { $0.name == DeadLetter.truncatedField })
    }
}
