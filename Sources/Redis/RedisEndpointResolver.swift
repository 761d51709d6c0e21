/// A Redis server's address.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Where a client connects: asked before every connect and reconnect, so a client can follow a
/// primary that moved (Sentinel discovery answers with the group's current primary). A client
/// also reconnects, asking again, when its server answers `READONLY` or `LOADING`
/// (`RedisError.notPrimary`).
public protocol RedisEndpointResolver: Sendable {
    func endpoint() async throws(RedisError) -> RedisEndpoint
}

/// The configuration's own host and port, always.
public struct FixedRedisEndpoint: RedisEndpointResolver {
    public let fixed: RedisEndpoint

    public init(_ configuration: RedisConfiguration) {
        fixed = RedisEndpoint(host: configuration.host, port: configuration.port)
    }

    public func endpoint() async throws(RedisError) -> RedisEndpoint { fixed }
}
