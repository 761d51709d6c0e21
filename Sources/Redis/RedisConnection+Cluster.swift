/// What a connection pinned to a cluster slot remembers: the slot, the node the map named for it
/// and that map's generation. A `RedisClient` asks `isStale` before every call (through
/// `isBehindAFailover`), so a connection whose slot moved is replaced before its next command
/// rather than after a `MOVED`.
struct ClusterPin: Sendable {
    let resolver: ClusterResolver
    let slot: HashSlot
    let node: RedisEndpoint
    let generation: Int
    /// The node answered `MOVED` or `UNBLOCKED` for this connection: it is not the slot's primary.
    private(set) var redirected = false

    /// The slot is served elsewhere now, by what this process has learnt since the connect.
    var isStale: Bool {
        if redirected { return true }
        guard let map = resolver.current, map.generation > generation else { return false }
        return map.primary(for: slot) != node
    }

    /// A routing reply on the pinned connection. `MOVED` and `UNBLOCKED` mean the slot's primary
    /// is elsewhere (a reshard, a failover): the map is refreshed now, on the connection's own
    /// thread, so that the next call connects to the new primary. `CLUSTERDOWN` may be a failover
    /// under way: a refresh is started, not waited for. `ASK` and `TRYAGAIN` change no map.
    mutating func notice(_ routing: ClusterRouting) {
        switch routing {
        case .moved(let moved, _) where moved != slot:
            break  // a key of another slot sent here by mistake: this slot has not moved
        case .moved, .unblocked:
            redirected = true
            _ = try? resolver.refresh(after: generation)
        case .clusterDown:
            resolver.refreshSoon(after: generation)
        case .ask, .tryAgain:
            break
        }
    }
}

extension RedisConnection {
    /// A plain connection for a `redis-cluster://` configuration: to its slot's primary when it
    /// is pinned to one, else to any node that answers (for keyless commands).
    ///
    /// The slot's primary is the one the shared `ClusterResolver`'s map names. When it does not
    /// answer (a primary just died), the map is refreshed and the new primary, if the map names
    /// another, is tried once; the caller (a `RedisClient`) backs off and comes back, and the
    /// resolver's rate limit keeps those refreshes apart until a replica is promoted.
    static func connect(cluster configuration: RedisConfiguration) throws(RedisError) -> (RedisConnection, ClusterPin?) {
        guard let cluster = configuration.cluster, let resolver = ClusterResolver.shared(for: configuration) else {
            return (try RedisConnection(plain: configuration), nil)
        }
        guard let slot = cluster.slot else { return (try anyNode(configuration, cluster: cluster, resolver: resolver), nil) }
        var map = try resolver.slotMap()
        var tried: [RedisEndpoint] = []
        while true {
            guard let node = map.primary(for: slot) else {
                let newer = try resolver.refresh(after: map.generation)
                guard newer.primary(for: slot) != nil else {
                    throw .routing(.clusterDown, reply: "CLUSTERDOWN no primary serves slot \(slot) in the cluster's slot map")
                }
                map = newer
                continue
            }
            do {
                let connection = try RedisConnection(plain: configuration.at(node))
                connection.primary = node
                return (connection, ClusterPin(resolver: resolver, slot: slot, node: node, generation: map.generation))
            } catch {
                tried.append(node)
                guard let newer = try? resolver.refresh(after: map.generation), let next = newer.primary(for: slot), !tried.contains(next) else {
                    throw error
                }
                map = newer
            }
        }
    }

    /// The first node that answers: the map's primaries, then the seeds, then any node the map names.
    private static func anyNode(_ configuration: RedisConfiguration, cluster: RedisConfiguration.Cluster, resolver: ClusterResolver) throws(RedisError) -> RedisConnection {
        let known = resolver.current
        var candidates: [RedisEndpoint] = []
        for endpoint in (known?.primaries ?? []) + cluster.seeds + (known?.nodes ?? []) where !candidates.contains(endpoint) {
            candidates.append(endpoint)
        }
        var problems: [(String, RedisError)] = []
        for node in candidates {
            do {
                let connection = try RedisConnection(plain: configuration.at(node))
                connection.primary = node
                return connection
            } catch {
                problems.append(("\(node)", error))
            }
        }
        throw RedisError.noneAnswered(configuration.endpoint, "no cluster node answered", problems)
    }
}
