import CHiredis
import NIOCore
import Redis

/// hiredis's RESP parser used on its own: bytes go in as the socket delivers them, whole replies
/// come out, in order. Reply nodes are built in an arena (see shim.h), released once each reply
/// has been copied into a `RESPValue`. Confined to its channel's event loop.
final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>
    private let arena: UnsafeMutablePointer<baedal_arena>

    init() throws(RedisError) {
        guard let reader = redisReaderCreate() else { throw .connectionLost(reason: "out of memory for a reply reader") }
        guard let arena = baedal_arena_attach_reader(reader) else {
            redisReaderFree(reader)
            throw .connectionLost(reason: "out of memory for a reply reader")
        }
        self.reader = reader
        self.arena = arena
    }

    deinit {
        redisReaderFree(reader)
        baedal_arena_destroy(arena)
    }

    /// Hands the bytes to the parser (it keeps a copy until their replies are read).
    func feed(_ buffer: ByteBuffer) throws(RedisError) {
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK { throw .connectionLost(reason: "out of memory reading a reply") }
    }

    /// The next whole reply, or nil until more bytes arrive. A protocol error is thrown as
    /// `connectionLost`: the stream cannot be trusted after it.
    func next() throws(RedisError) -> RESPValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
            let text = withUnsafeBytes(of: reader.pointee.errstr) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            throw .connectionLost(reason: "unreadable reply: \(text)")
        }
        guard let raw else { return nil }
        // Only a whole reply lives in the arena now: a partial one would still be in the making.
        defer { baedal_arena_reset(arena) }
        return RESPValue(raw.assumingMemoryBound(to: redisReply.self))
    }
}
