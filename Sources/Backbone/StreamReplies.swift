import Redis

/// Reading stream entries out of `XREADGROUP` / `XAUTOCLAIM` replies.
enum StreamReplies {
    /// An entry is `[id, [field, value, ...]]`; a trimmed-away entry comes back as `[id, nil]`.
    /// Returns the live messages and the ids whose entries no longer exist.
    static func entries(_ values: [RESPValue], stream: String, deliveries: Int) -> (messages: [StreamMessage], vanished: [String]) {
        var messages: [StreamMessage] = []
        var vanished: [String] = []
        messages.reserveCapacity(values.count)
        for value in values {
            guard let pair = value.array, pair.count == 2, let id = pair[0].string else { continue }
            guard let flat = pair[1].array else {
                vanished.append(id)
                continue
            }
            var fields: [(name: String, value: [UInt8])] = []
            fields.reserveCapacity(flat.count / 2)
            var index = 0
            while index + 1 < flat.count {
                fields.append((flat[index].string ?? "", flat[index + 1].bytes ?? []))
                index += 2
            }
            messages.append(StreamMessage(stream: stream, id: id, fields: fields, deliveries: deliveries))
        }
        return (messages, vanished)
    }

    /// `XREADGROUP` answers `[[stream, [entry, ...]], ...]`, or nil when `BLOCK` timed out:
    /// read in place, without a `RESPValue` tree in between (the hot path of every worker).
    static func messages(_ reply: RESPView, deliveries: Int) -> [StreamMessage] {
        var messages: [StreamMessage] = []
        for s in 0..<reply.count {
            let pair = reply[s]
            guard pair.count == 2 else { continue }
            let stream = pair[0].string
            let entries = pair[1]
            messages.reserveCapacity(messages.count + entries.count)
            for e in 0..<entries.count {
                let entry = entries[e]
                guard entry.count == 2, entry[1].isArray else { continue }
                let flat = entry[1]
                var fields: [(name: String, value: [UInt8])] = []
                fields.reserveCapacity(flat.count / 2)
                var index = 0
                while index + 1 < flat.count {
                    fields.append((flat[index].string, flat[index + 1].bytes))
                    index += 2
                }
                messages.append(StreamMessage(stream: stream, id: entry[0].string, fields: fields, deliveries: deliveries))
            }
        }
        return messages
    }

    /// `XREADGROUP` answers `[[stream, [entry, ...]], ...]`, or nil when `BLOCK` timed out.
    static func perStream(_ reply: RESPValue) -> [(stream: String, entries: [RESPValue])] {
        guard let streams = reply.array else { return [] }
        return streams.compactMap { item in
            guard let pair = item.array, pair.count == 2, let name = pair[0].string, let entries = pair[1].array else { return nil }
            return (name, entries)
        }
    }
}
