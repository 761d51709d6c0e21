import Dispatch

/// A Redis server's address.
public typealias RedisEndpoint = RedisConfiguration.Endpoint

/// Where a client connects: asked before every connect and reconnect, so a client can follow a
/// primary that moved (Sentinel discovery answers with the group's current primary). A client
/// also reconnects, asking again, when its server answers `READONLY`, `LOADING` or `MASTERDOWN`
/// (`RedisError.notPrimary`).
public protocol RedisEndpointResolver: Sendable {
    func endpoint() async throws(RedisError) -> RedisEndpoint
    /// Whether the client must check with `ROLE` that the server it reached is a primary (the
    /// Sentinel client spec: a Sentinel may still name a demoted one).
    var verifiesRole: Bool { get }
    /// Where the last resolution of this process pointed, when that can change (Sentinel): a
    /// connection elsewhere is behind a failover.
    var lastKnown: RedisEndpoint? { get }
}

extension RedisEndpointResolver {
    public var verifiesRole: Bool { false }
    public var lastKnown: RedisEndpoint? { nil }
}

/// The configuration's own host and port, always.
public struct FixedRedisEndpoint: RedisEndpointResolver {
    public let fixed: RedisEndpoint

    public init(_ configuration: RedisConfiguration) {
        fixed = RedisEndpoint(host: configuration.host, port: configuration.port)
    }

    public func endpoint() async throws(RedisError) -> RedisEndpoint { fixed }
}

/// The primary the Sentinels name now (`SentinelResolver`, shared by every connection of the
/// configuration). Asking is blocking I/O with the Sentinels' short timeout, so it runs on a
/// dispatch queue, never on the caller's thread (an event loop, for `NIORedisClient`).
public struct SentinelRedisEndpoint: RedisEndpointResolver {
    public let resolver: SentinelResolver

    /// Nil for a configuration without Sentinels.
    public init?(_ configuration: RedisConfiguration) {
        guard let resolver = SentinelResolver.shared(for: configuration) else { return nil }
        self.resolver = resolver
    }

    public var verifiesRole: Bool { true }
    public var lastKnown: RedisEndpoint? { resolver.lastPrimary }

    public func endpoint() async throws(RedisError) -> RedisEndpoint {
        let resolver = self.resolver
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<RedisEndpoint, RedisError>, Never>) in
            DispatchQueue.global().async {
                continuation.resume(returning: Result(catching: { () throws(RedisError) -> RedisEndpoint in try resolver.primary() }))
            }
        }
        return try result.get()
    }
}

extension RedisConfiguration {
    /// Where a client of this configuration connects: the Sentinels' primary, a cluster's node
    /// (see `ClusterRedisEndpoint`), or the host itself.
    public var endpointResolver: any RedisEndpointResolver {
        if let sentinel = SentinelRedisEndpoint(self) { return sentinel }
        if let cluster = ClusterRedisEndpoint(self) { return cluster }
        return FixedRedisEndpoint(self)
    }
}
