/// A stream entry that is not an event of the contract's shape. Retrying cannot help:
/// the runtime dead-letters it at once.
public struct MalformedEvent: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed event: \(reason)" }
}
