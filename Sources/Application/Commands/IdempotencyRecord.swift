import Crypto

/// What an `Idempotency-Key` remembers of its first use: the receipt it answered and a
/// fingerprint of the request it answered it for (`<64 hex digits>\n<receipt>`). A repeat with
/// the same request gets the receipt; a repeat with another request is refused
/// (`idempotencyKeyMismatch`, 422, as payment APIs do), so a client that reuses keys by mistake
/// hears it instead of being handed an order it did not ask for. Records written before the
/// fingerprint existed hold the receipt alone and match any request.
struct IdempotencyRecord: Sendable, Hashable {
    var fingerprint: String?
    var receipt: String

    init(fingerprint: String?, receipt: String) {
        self.fingerprint = fingerprint
        self.receipt = receipt
    }

    /// Reads a stored record.
    init(_ stored: String) {
        let bytes = stored.utf8
        if bytes.count > 65, let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), bytes.distance(from: bytes.startIndex, to: newline) == 64,
           bytes[..<newline].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) {
            fingerprint = String(stored[..<newline])
            receipt = String(stored[stored.index(after: newline)...])
        } else {
            fingerprint = nil
            receipt = stored
        }
    }

    var stored: String { fingerprint.map { "\($0)\n\(receipt)" } ?? receipt }

    /// The receipt, when this record was made for a request with `fingerprint`.
    func receipt(for fingerprint: String) throws(PlaceOrderError) -> String {
        if let own = self.fingerprint, own != fingerprint { throw .idempotencyKeyMismatch }
        return receipt
    }
}

extension PlaceOrder.Request {
    /// SHA-256 of what the customer asked for, field by field with a separator no field holds
    /// (NUL: ids and free text refuse control characters), items in the order given.
    var fingerprint: String {
        var text = "\(storeId)\u{0}\(region)\u{0}\(address)"
        for item in items { text += "\u{0}\(item.foodId)\u{0}\(item.qty)" }
        return SHA256.hash(data: Array(text.utf8)).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}
