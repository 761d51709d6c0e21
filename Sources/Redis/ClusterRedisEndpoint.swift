/// Where a client of a `redis-cluster://` configuration connects when it is not a
/// `ClusterExecutor` (which routes each command itself): for a configuration pinned to a slot,
/// that slot's primary in the shared `ClusterResolver`'s map, followed when the map changes
/// (`lastKnown`); without a slot, the first primary of the map (or the first seed before one is
/// known), for keyless commands.
public struct ClusterRedisEndpoint: RedisEndpointResolver {
    public let resolver: ClusterResolver
    public let slot: HashSlot?

    /// Nil for a configuration that is not a cluster's.
    public init?(_ configuration: RedisConfiguration) {
        guard let resolver = ClusterResolver.shared(for: configuration) else { return nil }
        self.resolver = resolver
        slot = configuration.cluster?.slot
    }

    public var lastKnown: RedisEndpoint? { slot.flatMap(resolver.lastKnownPrimary(for:)) }

    public func endpoint() async throws(RedisError) -> RedisEndpoint {
        let map = try await resolver.slotMap()
        guard let slot else {
            if let first = map.primaries.first ?? resolver.seeds.first { return first }
            throw .routing(.clusterDown, reply: "CLUSTERDOWN the cluster's slot map names no primary")
        }
        if let primary = map.primary(for: slot) { return primary }
        if let primary = try await resolver.refresh(after: map.generation).primary(for: slot) { return primary }
        throw .routing(.clusterDown, reply: "CLUSTERDOWN no primary serves slot \(slot) in the cluster's slot map")
    }
}
