import Contract
import Hummingbird

extension Parameters {
    /// A path parameter that names an id (`/stores/{storeId}`): percent-decoded (so the owner of
    /// store `가게` manages `/stores/%EA%B0%80%EA%B2%8C`), then held to `Identifier`'s rule.
    public func id(_ name: String) throws(APIError) -> String {
        guard let raw = get(name) else { throw APIError.badRequest("the path has no \(name)") }
        guard let decoded = PercentDecoding.decode(raw) else {
            throw APIError.badRequest("\(name) in the path is not valid percent-encoded UTF-8")
        }
        if let problem = Identifier.problem(decoded) { throw APIError.badRequest("\(name) \(problem)") }
        return decoded
    }
}

/// `%XX` escapes of a URL path segment, strictly: a bad escape or bytes that are not UTF-8 are
/// an error, not a guess.
enum PercentDecoding {
    static func decode(_ text: some StringProtocol) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
