/// Every Redis key of a deployment, under its prefix (`BAEDAL_PREFIX`, default `baedal`).
///
/// A key is the prefix and its parts joined by `:`. Parts are escaped (`:` as `%3A`, `%` as
/// `%25`, and the glob characters `*?[]\` likewise), so no two distinct lists of parts make the
/// same key: a store named `s9:board` could never write store `s9`'s board. Valid ids
/// (`Identifier`) contain none of these characters, so their keys read as they are.
public struct Keys: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String = "baedal") {
        self.prefix = prefix
    }

    /// `baedal:events:order` and its siblings.
    public func stream(_ name: StreamName) -> String { "\(prefix):events:\(name.rawValue)" }

    /// The dead-letter stream, `baedal:dead`.
    public var dead: String { "\(prefix):dead" }

    /// Orders an operator must look at (`baedal:flags`, a stream read by people, not by a group):
    /// e.g. a payment the gateway cancelled after a rider had picked the food up.
    public var flags: String { "\(prefix):flags" }

    /// Any other key of the deployment: `key("dashboard", "food-orders")` is `baedal:dashboard:food-orders`.
    public func key(_ parts: String...) -> String {
        var key = prefix
        for part in parts {
            key += ":"
            Self.escape(part, into: &key)
        }
        return key
    }

    /// Where an `Idempotency-Key` remembers the first result, per scope (e.g. the order side of
    /// one customer): `baedal:idempotency:<scope…>:<key>`, every part escaped.
    public func idempotency(_ scope: String..., key: String) -> String {
        var text = prefix + ":idempotency"
        for part in scope + [key] {
            text += ":"
            Self.escape(part, into: &text)
        }
        return text
    }

    /// The name of the stream a full key belongs to, if it is one of the event streams.
    public func streamName(ofKey key: String) -> StreamName? {
        StreamName.allCases.first { stream($0) == key }
    }

    /// Appends one key part, escaping what could be read as a separator, an escape or a glob.
    static func escape(_ part: String, into key: inout String) {
        var clean = true
        for byte in part.utf8 where needsEscape(byte) {
            clean = false
            break
        }
        if clean {
            key += part
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.utf8.count + 8)
        for byte in part.utf8 {
            if needsEscape(byte) {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0F))
            } else {
                bytes.append(byte)
            }
        }
        key += String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: ":"), UInt8(ascii: "%"), UInt8(ascii: "*"), UInt8(ascii: "?"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "\\"): return true
        default: return false
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }
}
