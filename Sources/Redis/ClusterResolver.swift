import Dispatch
import Logging
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Knows a `redis-cluster://` configuration's slot map: which primary serves each slot. It asks
/// `CLUSTER SHARDS` (or `CLUSTER SLOTS` of a Redis before 7) of the node that answered last, then
/// of the nodes the map names, then of the seeds, with a short timeout each. One resolver per
/// cluster, shared by every client of the process (`shared(for:)`), so that what one connection
/// learns (a `MOVED`, a dead primary) re-routes them all, and a change is logged once.
///
/// The map is refreshed on demand: after a `MOVED`, after a node did not answer, when a slot
/// seems unserved. At most one refresh runs at a time and refreshes start at least
/// `minimumInterval` apart; a caller names the generation of the map it routed with, and any map
/// newer than that answers it. So a storm of `MOVED` replies after a reshard costs one
/// `CLUSTER SHARDS`, and a dead primary is not asked about a hundred times a second.
public final class ClusterResolver: Sendable {
    public let seeds: [RedisEndpoint]
    /// The login (and timeouts) for the nodes asked.
    private let login: RedisConfiguration
    private let minimumInterval: Duration
    /// Refreshes run here: blocking I/O, never on a caller's event loop or Swift's pool.
    private let queue = DispatchQueue(label: "baedal.redis.cluster")
    private let state = Mutex(State())
    private let logger = Logger(label: "baedal.redis.cluster")
    private let refreshCounter = Counter(label: "baedal_redis_cluster_refreshes_total")
    private let changes = Counter(label: "baedal_redis_cluster_map_changes_total")

    private struct State {
        var map: ClusterSlotMap?
        var refresh: ClusterRefresh?
        var lastStart: ContinuousClock.Instant?
        /// The node that answered last: asked first next time.
        var preferred: RedisEndpoint?
        var generation = 0
        var refreshes = 0
        /// Refreshes started and not finished (one at most, by design).
        var pending = 0
    }

    /// Who may share a resolver: the same seeds and the same login.
    private struct Identity: Hashable {
        var seeds: [RedisEndpoint]
        var username: String?
        var password: String?
        var tls: RedisTLS?
    }

    private static let registry = Mutex<[Identity: ClusterResolver]>([:])

    /// The resolver every client of this cluster shares; nil for a configuration without one.
    public static func shared(for configuration: RedisConfiguration) -> ClusterResolver? {
        guard let cluster = configuration.cluster else { return nil }
        let identity = Identity(seeds: cluster.seeds, username: configuration.username, password: configuration.password, tls: configuration.tls)
        return registry.withLock { registry in
            if let known = registry[identity] { return known }
            let resolver = ClusterResolver(configuration: configuration)
            registry[identity] = resolver
            return resolver
        }
    }

    /// A resolver of its own (tests; `shared(for:)` is what clients use).
    public init(configuration: RedisConfiguration, minimumInterval: Duration = .milliseconds(100)) {
        let cluster = configuration.cluster ?? RedisConfiguration.Cluster(seeds: [])
        seeds = cluster.seeds.isEmpty ? [RedisEndpoint(host: configuration.host, port: configuration.port)] : cluster.seeds
        var login = configuration.at(seeds[0])
        login.connectTimeoutMilliseconds = cluster.discoveryTimeoutMilliseconds
        login.readTimeoutMilliseconds = cluster.discoveryTimeoutMilliseconds
        self.login = login
        self.minimumInterval = minimumInterval
    }

    // MARK: The map

    /// The map known now, without asking anyone; nil before the first answer.
    public var current: ClusterSlotMap? { state.withLock { $0.map } }

    /// How many times a node was asked for the map (`CLUSTER SHARDS` sent) by this resolver.
    public var refreshes: Int { state.withLock { $0.refreshes } }

    /// A refresh is under way (or waits for its turn).
    public var isRefreshing: Bool { state.withLock { $0.pending > 0 } }

    /// The map, learnt first if none is known yet. Blocks the calling thread.
    public func slotMap() throws(RedisError) -> ClusterSlotMap {
        if let map = current { return map }
        return try refresh(after: 0)
    }

    /// The map, learnt first if none is known yet.
    public func slotMap() async throws(RedisError) -> ClusterSlotMap {
        if let map = current { return map }
        return try await refresh(after: 0)
    }

    /// A map newer than `generation` (the one the caller routed with): the one known if it is
    /// newer already, else the outcome of the refresh in flight, else of a new one. Blocks.
    @discardableResult
    public func refresh(after generation: Int) throws(RedisError) -> ClusterSlotMap {
        switch next(after: generation) {
        case .known(let map): return map
        case .wait(let refresh): return try refresh.wait().get()
        }
    }

    /// A map newer than `generation`; see the blocking `refresh(after:)`.
    @discardableResult
    public func refresh(after generation: Int) async throws(RedisError) -> ClusterSlotMap {
        switch next(after: generation) {
        case .known(let map): return map
        case .wait(let refresh): return try await refresh.value().get()
        }
    }

    /// Starts a refresh unless a map newer than `generation` is known or one is in flight, and
    /// does not wait for it (a `MOVED` was followed already; later commands will use the map).
    public func refreshSoon(after generation: Int) {
        _ = next(after: generation)
    }

    /// The primary of the slot in the map known now (for logs and a connection's check that it
    /// still talks to the right node).
    public func lastKnownPrimary(for slot: HashSlot) -> RedisEndpoint? { current?.primary(for: slot) }

    private enum Next {
        case known(ClusterSlotMap)
        case wait(ClusterRefresh)
    }

    private func next(after generation: Int) -> Next {
        let (next, start, delay) = state.withLock { state -> (Next, ClusterRefresh?, Duration) in
            if let map = state.map, map.generation > generation { return (.known(map), nil, .zero) }
            if let refresh = state.refresh { return (.wait(refresh), nil, .zero) }
            let refresh = ClusterRefresh()
            state.refresh = refresh
            state.pending += 1
            let now = ContinuousClock.now
            let earliest = state.lastStart.map { $0 + minimumInterval } ?? now
            state.lastStart = max(now, earliest)
            return (.wait(refresh), refresh, max(.zero, earliest - now))
        }
        if let start {
            queue.async {
                if delay > .zero { usleep(UInt32(min(delay / .microseconds(1), 1_000_000))) }
                self.run(start)
            }
        }
        return next
    }

    // MARK: Asking

    private func run(_ refresh: ClusterRefresh) {
        let (preferred, known) = state.withLock { ($0.preferred, $0.map) }
        var candidates: [RedisEndpoint] = []
        for endpoint in [preferred].compactMap({ $0 }) + (known?.nodes ?? []) + seeds where !candidates.contains(endpoint) {
            candidates.append(endpoint)
        }
        var problems: [(String, RedisError)] = []
        for endpoint in candidates {
            let shards: [ClusterSlotMap.Shard]
            do {
                state.withLock { $0.refreshes += 1 }
                refreshCounter.increment()
                shards = try ask(endpoint)
            } catch {
                problems.append(("\(endpoint)", error))
                continue
            }
            let outcome = state.withLock { state -> Result<(ClusterSlotMap, ClusterSlotMap?), RedisError> in
                do throws(RedisError) {
                    let map = try ClusterSlotMap(shards: shards, generation: state.generation + 1)
                    guard !map.shards.isEmpty else { throw .unexpectedReply(expected: "a slot map", got: "no slot is served") }
                    let previous = state.map
                    state.generation += 1
                    state.map = map
                    state.preferred = endpoint
                    state.refresh = nil
                    state.pending -= 1
                    return .success((map, previous))
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let (map, previous)):
                report(map, previous: previous, from: endpoint)
                refresh.finish(.success(map))
                return
            case .failure(let error):
                problems.append(("\(endpoint)", error))
            }
        }
        state.withLock { state in
            state.refresh = nil
            state.pending -= 1
        }
        let error = RedisError.noneAnswered(seeds.map(\.description).joined(separator: ","), "no cluster node told its slot map", problems)
        logger.warning("cannot learn the cluster's slot map", metadata: ["reason": "\(error)"])
        refresh.finish(.failure(error))
    }

    private func report(_ map: ClusterSlotMap, previous: ClusterSlotMap?, from endpoint: RedisEndpoint) {
        guard let previous else {
            logger.debug("learnt the cluster's slot map", metadata: [
                "from": "\(endpoint)", "primaries": "\(map.primaries.map(\.description).joined(separator: ","))",
            ])
            return
        }
        if previous.routesLike(map) { return }
        let moved = HashSlot.all.lazy.filter { previous.primary(for: $0) != map.primary(for: $0) }.count
        changes.increment()
        logger.notice("the cluster's slot map changed", metadata: [
            "slotsMoved": "\(moved)", "from": "\(endpoint)", "generation": "\(map.generation)",
            "primaries": "\(map.primaries.map(\.description).joined(separator: ","))",
        ])
    }

    /// One node's view of the slots.
    private func ask(_ endpoint: RedisEndpoint) throws(RedisError) -> [ClusterSlotMap.Shard] {
        let connection = try RedisConnection(plain: login.at(endpoint))
        defer { connection.close() }
        let reply = try connection.sendKeepingErrors(RedisCommand("CLUSTER", "SHARDS"))
        guard case .error = reply else { return try ClusterTopologyReply.shards(reply, answeredBy: endpoint, tls: login.tls != nil) }
        // A Redis before 7 has no CLUSTER SHARDS (nor may an ACL allow it): the older form.
        return try ClusterTopologyReply.slots(try connection.send(RedisCommand("CLUSTER", "SLOTS")), answeredBy: endpoint)
    }
}
