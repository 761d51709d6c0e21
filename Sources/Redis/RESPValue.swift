/// A reply from Redis (RESP2), copied out of hiredis's reply tree.
public enum RESPValue: Sendable, Hashable {
    case null
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case array([RESPValue])

    /// Bulk strings and status replies as UTF-8 text (invalid bytes are repaired).
    public var string: String? {
        switch self {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        default: return nil
        }
    }

    /// Integer replies, and bulk strings that hold a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let value): return Int(value)
        case .bulk: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var bytes: [UInt8]? {
        if case .bulk(let bytes) = self { return bytes }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The server's error reply, if this is one, as a typed error.
    public var serverError: RedisError? {
        if case .error(let message) = self { return RedisError(errorReply: message) }
        return nil
    }

    /// The string elements of an array reply (`ZRANGE`, `LRANGE`, `SMEMBERS`), in order.
    public var strings: [String] { (array ?? []).compactMap(\.string) }

    /// A flat reply of alternating names and values (`HGETALL`, `XINFO`, a stream entry's
    /// fields) as pairs, in order; an odd last element is dropped.
    public var pairs: [(name: RESPValue, value: RESPValue)] {
        guard case .array(let values) = self else { return [] }
        return stride(from: 0, to: values.count - 1, by: 2).map { (values[$0], values[$0 + 1]) }
    }

    /// The pairs by name (the first of a repeated name wins): `XINFO` replies, hashes.
    public var fields: [String: RESPValue] {
        var fields: [String: RESPValue] = [:]
        for (name, value) in pairs {
            if let name = name.string, fields[name] == nil { fields[name] = value }
        }
        return fields
    }
}
