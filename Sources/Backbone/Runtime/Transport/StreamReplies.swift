import Contract
import Redis

/// Reading stream entries out of `XREADGROUP` and `XAUTOCLAIM` replies, in place (without a
/// `RESPValue` tree in between: this is every worker's hot path).
enum StreamReplies {
    /// The entries of one stream in a reply.
    struct Entries {
        var stream: String
        var messages: [StreamMessage] = []
        /// Ids whose entries no longer exist (trimmed away while pending): `[id, nil]`.
        var vanished: [String] = []
        /// The last id in the reply, live or vanished.
        var lastId: String?
    }

    /// `XREADGROUP` answers `[[stream, [entry, ...]], ...]`, or nil when `BLOCK` timed out.
    static func readGroup(_ reply: RESPView, deliveries: Int) -> [Entries] {
        (0..<reply.count).compactMap { index in
            let pair = reply[index]
            guard pair.count == 2 else { return nil }
            return entries(pair[1], stream: pair[0].string, deliveries: deliveries)
        }
    }

    /// `XAUTOCLAIM ... JUSTID` answers `[next-start, [id, ...], [deleted-id, ...]]` (the last since 7.0).
    static func autoClaimIds(_ reply: RESPView) throws(RedisError) -> (next: String, ids: [String], removed: [String]) {
        guard reply.count >= 2, reply[1].isArray else {
            throw .unexpectedReply(expected: "an XAUTOCLAIM JUSTID reply", got: "\(reply.value)")
        }
        let ids = (0..<reply[1].count).map { reply[1][$0].string }
        let deleted = reply.count > 2 ? (0..<reply[2].count).map { reply[2][$0].string } : []
        return (reply[0].string, ids, deleted)
    }

    /// `XCLAIM` answers the claimed entries, `[[id, [field, value, ...]], ...]`.
    static func claimed(_ reply: RESPView, stream: String) -> Entries {
        entries(reply, stream: stream, deliveries: 1)
    }

    /// An entry is `[id, [field, value, ...]]`; a trimmed-away one comes back as `[id, nil]`.
    private static func entries(_ list: RESPView, stream: String, deliveries: Int) -> Entries {
        var result = Entries(stream: stream)
        result.messages.reserveCapacity(list.count)
        for index in 0..<list.count {
            let entry = list[index]
            guard entry.count == 2 else { continue }
            let id = entry[0].string
            result.lastId = id
            guard entry[1].isArray else {
                result.vanished.append(id)
                continue
            }
            let flat = entry[1]
            var fields: [StreamField] = []
            fields.reserveCapacity(flat.count / 2)
            var field = 0
            while field + 1 < flat.count {
                fields.append(StreamField(flat[field].string, flat[field + 1].bytes))
                field += 2
            }
            result.messages.append(StreamMessage(stream: stream, id: id, fields: fields, deliveries: deliveries))
        }
        return result
    }
}
