import Numbers

/// The one owner of the dead-letter format (`baedal:dead`): what a dead letter says of where a
/// message came from, who gave up on it, after how many deliveries and why, followed by the
/// original fields so it can be replayed; and the field that marks a replayed entry for the one
/// group that should handle it again. The runtime writes it, the operator's tools read it.
///
/// Any entry Redis accepts can be dead-lettered. A script cannot pass more than a few thousand
/// arguments to one command, and a letter is written by the script that acknowledges the
/// message, so an entry beyond `maxCopiedFields` fields or `maxCopiedBytes` bytes is kept in
/// part: the letter carries the header, a `truncated` field saying what was left out (the whole
/// entry stays in its stream, at its id, until that is trimmed) and the original fields that fit.
/// Such a letter is for reading and dropping, not for replaying. No real event comes near these
/// limits: an event has four fields and a few hundred bytes.
public struct DeadLetter: Sendable {
    /// The fields a dead letter adds before the original ones, in order.
    public static let headerFields = ["stream", "id", "group", "consumer", "deliveries", "reason"]
    /// After the header, in a letter that keeps only part of the original entry: what was left out.
    public static let truncatedField = "truncated"
    /// The field a replayed entry carries: the one group that should handle it again.
    public static let replayField = "replayFor"
    /// The most original fields a letter copies.
    public static let maxCopiedFields = 1_000
    /// The most bytes of original names and values a letter copies.
    public static let maxCopiedBytes = 1 << 20

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
        let header = [message.stream, message.id, group, consumer, String(message.deliveries), String(reason.prefix(2_000))]
        var fields = zip(Self.headerFields, header).map { StreamField($0, $1) }
        var copied: [StreamField] = []
        var bytes = 0
        for field in message.fields {
            bytes = bytes.clampedAdding(field.name.utf8.count).clampedAdding(field.value.count)
            guard copied.count < Self.maxCopiedFields, bytes <= Self.maxCopiedBytes else { break }
            copied.append(field)
        }
        if copied.count < message.fields.count {
            let total = message.fields.reduce(0) { $0.clampedAdding($1.name.utf8.count).clampedAdding($1.value.count) }
            fields.append(StreamField(Self.truncatedField, "kept \(copied.count) of \(message.fields.count) fields (\(total) bytes); the whole entry is \(message.stream) \(message.id) until trimmed"))
        }
        return Effects([.append(stream: stream, fields: fields + copied)])
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
        /// Set when the letter keeps only part of the original entry: what was left out.
        public var truncated: String? { header[DeadLetter.truncatedField] }

        public func originalValue(_ name: String) -> String? {
            original.first { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
        }
    }

    /// Reads an entry of the dead-letter stream: its header, then the original's fields.
    public static func letter(id: String, fields: [StreamField]) -> Letter {
        var header: [String: String] = [:]
        var original: [StreamField] = []
        for (index, field) in fields.enumerated() {
            if (index < headerFields.count && headerFields.contains(field.name)) || (index == headerFields.count && field.name == truncatedField) {
                header[field.name] = String(decoding: field.value, as: UTF8.self)
            } else {
                original.append(field)
            }
        }
        return Letter(id: id, header: header, original: original)
    }
}
