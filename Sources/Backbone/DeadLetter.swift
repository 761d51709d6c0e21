/// How a message that cannot be handled lands in `baedal:dead`: where it came from, who gave up,
/// after how many deliveries, why, and then the original fields so it can be replayed.
public struct DeadLetter: Sendable {
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
        var fields: [(String, [UInt8])] = [
            ("stream", Array(message.stream.utf8)),
            ("id", Array(message.id.utf8)),
            ("group", Array(group.utf8)),
            ("consumer", Array(consumer.utf8)),
            ("deliveries", Array(String(message.deliveries).utf8)),
            ("reason", Array(reason.utf8)),
        ]
        fields.append(contentsOf: message.fields.map { ($0.name, $0.value) })
        return Effects([.append(stream: stream, fields: fields)])
    }
}
