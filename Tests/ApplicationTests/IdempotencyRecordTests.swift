@testable import Application
import Testing

/// What an `Idempotency-Key` remembers: the receipt, for the request it was made for.
@Suite("Idempotency records")
struct IdempotencyRecordTests {
    static let request = PlaceOrder.Request(storeId: "s-1", items: [(foodId: "pizza", qty: 1)], region: "gangnam", address: "서울")

    @Test func aRepeatOfTheSameRequestGetsTheReceipt() throws {
        let stored = IdempotencyRecord(fingerprint: Self.request.fingerprint, receipt: #"{"orderId":"o-1"}"#).stored
        #expect(try IdempotencyRecord(stored).receipt(for: Self.request.fingerprint) == #"{"orderId":"o-1"}"#)
    }

    @Test func anotherRequestWithTheKeyIsRefused() {
        var other = Self.request
        other.items = [(foodId: "pizza", qty: 2)]
        #expect(other.fingerprint != Self.request.fingerprint)
        let stored = IdempotencyRecord(fingerprint: Self.request.fingerprint, receipt: "{}").stored
        #expect(throws: PlaceOrderError.idempotencyKeyMismatch) { try IdempotencyRecord(stored).receipt(for: other.fingerprint) }
    }

    @Test func aRecordFromBeforeFingerprintsMatchesAnyRequest() throws {
        #expect(try IdempotencyRecord(#"{"orderId":"o-1"}"#).receipt(for: Self.request.fingerprint) == #"{"orderId":"o-1"}"#)
    }
}
