/// A message handler: from one delivered message to the Redis writes it wants (Watermill's shape).
/// Throwing `MalformedEvent` means "never retry this"; any other error may be worth a retry.
public typealias Handler = @Sendable (StreamMessage) async throws -> Effects

/// Wraps a handler with one concern: the replay filter, logging, dead letters, metrics.
public typealias Middleware = @Sendable (@escaping Handler) -> Handler

/// A policy daemon's decision, and which streams it listens to. Its name is its consumer
/// group, its systemd instance and its log label: never rename one casually.
public struct Policy: Sendable {
    public let name: String
    public let streams: [StreamName]
    public let handle: Handler

    public init(name: String, streams: [StreamName], handle: @escaping Handler) {
        self.name = name
        self.streams = streams
        self.handle = handle
    }
}

/// Applies middleware outermost-first: `chain([a, b], h)` is `a(b(h))`.
public func chain(_ middleware: [Middleware], _ handler: @escaping Handler) -> Handler {
    middleware.reversed().reduce(handler) { handled, wrap in wrap(handled) }
}
