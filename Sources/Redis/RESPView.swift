import CHiredis

/// A borrowed look at a reply still inside hiredis's memory: for hot paths that read large
/// replies (hundreds of stream entries) without building a `RESPValue` tree first.
/// Valid only inside the closure that receives it.
public struct RESPView {
    let reply: UnsafePointer<redisReply>

    public var isNull: Bool { reply.pointee.type == REDIS_REPLY_NIL }
    public var isArray: Bool { reply.pointee.type == REDIS_REPLY_ARRAY }
    public var isString: Bool { reply.pointee.type == REDIS_REPLY_STRING || reply.pointee.type == REDIS_REPLY_STATUS }
    public var isError: Bool { reply.pointee.type == REDIS_REPLY_ERROR }

    /// Elements of an array (0 for anything else).
    public var count: Int { isArray ? reply.pointee.elements : 0 }

    public subscript(index: Int) -> RESPView {
        precondition(index >= 0 && index < count, "reply element \(index) out of range")
        return RESPView(reply: reply.pointee.element[index]!)
    }

    /// The bytes of a string, status or error reply, borrowed.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        guard isString || isError, let str = reply.pointee.str else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: str, count: reply.pointee.len))
    }

    /// A string reply copied out as bytes.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// A string, status or error reply as text (invalid UTF-8 repaired).
    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// The whole reply as a value.
    public var value: RESPValue { RESPValue(reply) }
}

extension RedisConnection {
    /// Sends one command and reads its reply in place; an error reply is thrown as `RedisError.server`.
    public func send<T>(_ command: RedisCommand, reading body: (RESPView) throws(RedisError) -> T) throws(RedisError) -> T {
        try withRawReply(command) { reply throws(RedisError) -> T in
            if reply.pointee.type == REDIS_REPLY_ERROR { throw RedisError(errorReply: RESPView(reply: reply).string) }
            return try body(RESPView(reply: reply))
        }
    }
}
