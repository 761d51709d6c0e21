import Logging
import Metrics
import Synchronization

/// Finds the primary of a `redis-sentinel://` configuration, as Redis's "Sentinel client spec"
/// says: ask the Sentinels in turn (the one that answered last first) for
/// `SENTINEL get-master-addr-by-name`, with a short timeout each; the caller then verifies `ROLE`
/// on the address it got, and asks again after a lost connection, `READONLY`, `-LOADING` or a
/// role that is not `master`. One resolver per configuration, shared by every connection of the
/// process, so they all prefer the same Sentinel and a failover is counted once
/// (`baedal_redis_failovers_total`).
public final class SentinelResolver: Sendable {
    public let sentinel: RedisConfiguration.Sentinel
    /// TLS to the Sentinels (`rediss-sentinel://`), as to the primary.
    private let tls: RedisTLS?
    private let timeoutMilliseconds: Int
    private let state = Mutex<State>(State())
    private let failovers = Counter(label: "baedal_redis_failovers_total")
    private let logger = Logger(label: "baedal.redis.sentinel")

    private struct State {
        var preferred = 0
        var primary: RedisConfiguration.Endpoint?
    }

    private struct Key: Hashable {
        var sentinel: RedisConfiguration.Sentinel
        var tls: RedisTLS?
    }

    private static let registry = Mutex<[Key: SentinelResolver]>([:])

    /// The resolver every connection of this configuration shares.
    public static func shared(for configuration: RedisConfiguration) -> SentinelResolver? {
        guard let sentinel = configuration.sentinel else { return nil }
        return registry.withLock { registry in
            let key = Key(sentinel: sentinel, tls: configuration.tls)
            if let known = registry[key] { return known }
            let resolver = SentinelResolver(sentinel: sentinel, tls: configuration.tls, timeoutMilliseconds: configuration.sentinelTimeoutMilliseconds)
            registry[key] = resolver
            return resolver
        }
    }

    init(sentinel: RedisConfiguration.Sentinel, tls: RedisTLS? = nil, timeoutMilliseconds: Int) {
        self.sentinel = sentinel
        self.tls = tls
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The primary the Sentinels name now; `connectionFailed` when none of them answers.
    public func primary() throws(RedisError) -> RedisConfiguration.Endpoint {
        let count = sentinel.endpoints.count
        let first = state.withLock { $0.preferred }
        var problems: [(String, RedisError)] = []
        for offset in 0..<count {
            let index = (first + offset) % count
            let endpoint = sentinel.endpoints[index]
            do {
                let address = try ask(endpoint)
                let moved = state.withLock { state -> RedisConfiguration.Endpoint? in
                    state.preferred = index
                    defer { state.primary = address }
                    return state.primary.flatMap { $0 == address ? nil : $0 }
                }
                if let moved {
                    failovers.increment()
                    logger.notice("the primary moved", metadata: ["group": "\(sentinel.masterName)", "from": "\(moved)", "to": "\(address)",
                                                                 "sentinel": "\(endpoint)"])
                }
                return address
            } catch {
                problems.append(("\(endpoint)", error))
            }
        }
        throw RedisError.noneAnswered(sentinel.endpoints.map(\.description).joined(separator: ","),
                                      "no Sentinel named a primary for '\(sentinel.masterName)'", problems)
    }

    /// The last primary a Sentinel named (for `baedalctl status` and logs).
    public var lastPrimary: RedisConfiguration.Endpoint? { state.withLock { $0.primary } }

    private func ask(_ endpoint: RedisConfiguration.Endpoint) throws(RedisError) -> RedisConfiguration.Endpoint {
        var configuration = RedisConfiguration(host: endpoint.host, port: endpoint.port)
        configuration.tls = tls
        configuration.connectTimeoutMilliseconds = timeoutMilliseconds
        configuration.readTimeoutMilliseconds = timeoutMilliseconds
        let connection = try RedisConnection(plain: configuration)
        defer { connection.close() }
        let reply = try connection.send(RedisCommand("SENTINEL", "get-master-addr-by-name", sentinel.masterName))
        guard let parts = reply.array, parts.count == 2, let host = parts[0].string, let port = parts[1].string.flatMap({ Int($0) }) else {
            throw .unexpectedReply(expected: "the primary's address", got: reply.isNull ? "no such group" : "\(reply)")
        }
        return RedisConfiguration.Endpoint(host: host, port: port)
    }
}
