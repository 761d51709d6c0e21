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
        let fields = [
            StreamField("stream", message.stream),
            StreamField("id", message.id),
            StreamField("group", group),
            StreamField("consumer", consumer),
            StreamField("deliveries", String(message.deliveries)),
            StreamField("reason", reason),
        ]
        return Effects([.append(stream: stream, fields: fields + message.fields)])
    }
}
