import Redis

/// The one owner of the dead-letter format (`baedal:dead`): what a dead letter says of where a
/// message came from, who gave up on it, after how many deliveries and why, followed by the
/// original fields so it can be replayed; and the field that marks a replayed entry for the one
/// group that should handle it again. The runtime writes it, the operator's tools read it.
public struct DeadLetter: Sendable {
    /// The fields a dead letter adds before the original ones, in order.
    public static let headerFields = ["stream", "id", "group", "consumer", "deliveries", "reason"]
    /// The field a replayed entry carries: the one group that should handle it again.
    public static let replayField = "replayFor"

    public let stream: String
    public let group: String
    public let consumer: String

    public init(deadStream: String, group: String, consumer: String) {
        self.stream = deadStream
        self.group = group
        self.consumer = consumer
    }

    /// The effects that move `message` to the dead-letter stream (applied only with its ack).
    public func effects(for message: StreamMessage, reason: String) -> Effects {
        let header = [message.stream, message.id, group, consumer, String(message.deliveries), reason]
        let fields = zip(Self.headerFields, header).map { StreamField($0, $1) }
        return Effects([.append(stream: stream, fields: fields + message.fields)])
    }

    /// One dead letter as read back: its id in `baedal:dead`, its header, the original entry.
    public struct Letter: Sendable, Hashable {
        public var id: String
        public var header: [String: String]
        public var original: [StreamField]

        public var stream: String { header["stream"] ?? "" }
        public var group: String { header["group"] ?? "" }
        public var reason: String { header["reason"] ?? "" }
        public var deliveries: Int? { header["deliveries"].flatMap { Int($0) } }

        public func originalValue(_ name: String) -> String? {
            original.first { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
        }
    }

    /// Reads an entry of the dead-letter stream (`[id, [field, value, ...]]`).
    public static func letter(_ entry: RESPValue) -> Letter? {
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
        var header: [String: String] = [:]
        var original: [StreamField] = []
        for (index, pair) in parts[1].pairs.enumerated() {
            let name = pair.name.string ?? ""
            if index < headerFields.count, headerFields.contains(name) {
                header[name] = pair.value.string ?? ""
            } else {
                original.append(StreamField(name, pair.value.bytes ?? []))
            }
        }
        return Letter(id: id, header: header, original: original)
    }
}
