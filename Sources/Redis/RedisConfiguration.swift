/// Where Redis is and how to log in, parsed from `redis://[user:password@]host[:port][/db]`, or
/// from `redis-sentinel://[user:password@]host:port[,host:port…]/MASTER[/db]`: the primary of the
/// group `MASTER`, asked of those Sentinels at every (re)connect and followed through failovers,
/// or from `redis-cluster://[user:password@]host:port[,host:port…]`: a Redis Cluster whose slot
/// map is learnt from any of those seed nodes (see `ClusterResolver`). `rediss://`,
/// `rediss-sentinel://` and `rediss-cluster://` are the same over TLS (to the Sentinels and to
/// every node as well), with `tls` saying whom to trust.
public struct RedisConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// A host and a port.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The Sentinels that know the primary of the group `masterName`.
    public struct Sentinel: Sendable, Hashable {
        public var endpoints: [Endpoint]
        public var masterName: String

        public init(endpoints: [Endpoint], masterName: String) {
            self.endpoints = endpoints
            self.masterName = masterName
        }
    }

    /// Seed nodes of a Redis Cluster (any node tells the whole slot map), and, for a connection
    /// meant for one slot's keys (a worker's blocking read of one partition), that slot.
    public struct Cluster: Sendable, Hashable {
        public var seeds: [Endpoint]
        /// Connections of a `RedisConnection` or `RedisClient` go to this slot's primary, and
        /// follow it (after `MOVED`, a failover). Nil: any reachable node (keyless commands).
        public var slot: HashSlot?
        /// Longest wait for a node's connect and answer while learning the slot map.
        public var discoveryTimeoutMilliseconds: Int = 1_000
        /// How long a command may be retried (back-off after `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`,
        /// a primary that does not answer) before its error reaches the caller: a failover takes
        /// `cluster-node-timeout` and a bit more.
        public var retryMilliseconds: Int = 5_000

        public init(seeds: [Endpoint], slot: HashSlot? = nil) {
            self.seeds = seeds
            self.slot = slot
        }
    }

    /// The server to connect to (for `redis-sentinel://`: the first Sentinel, never connected
    /// to for data; the primary is resolved at every connect; for `redis-cluster://` the first
    /// seed).
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Set for `redis-sentinel://`.
    public var sentinel: Sentinel?
    /// Set for `redis-cluster://`.
    public var cluster: Cluster?
    /// Set for `rediss…://`: every connection (to Sentinels and cluster nodes too) speaks TLS.
    public var tls: RedisTLS?
    /// Longest wait for a TCP connect.
    public var connectTimeoutMilliseconds: Int = 2_000
    /// Longest wait for a reply; keep it above any `BLOCK` a command asks for.
    public var readTimeoutMilliseconds: Int = 15_000
    /// Longest wait for a Sentinel's connect and answer (the spec: short, then the next one).
    public var sentinelTimeoutMilliseconds: Int = 500

    public init(host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0,
                sentinel: Sentinel? = nil, cluster: Cluster? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sentinel = sentinel
        self.cluster = cluster
    }

    public init(url: String) throws(RedisError) {
        func fail(_ reason: String) -> RedisError { .invalidURL(url: url, reason: reason) }
        var rest = Substring(url)
        var tls: RedisTLS?
        var isSentinel = false
        var isCluster = false
        if let scheme = rest.firstRange(of: "://") {
            var name = rest[..<scheme.lowerBound]
            if name.hasPrefix("rediss") {
                tls = RedisTLS()
                name = "redis" + name.dropFirst("rediss".count)
            }
            switch name {
            case "redis": break
            case "redis-sentinel": isSentinel = true
            case "redis-cluster": isCluster = true
            default: throw fail("it must start with redis://, redis-sentinel:// or redis-cluster:// (rediss… over TLS)")
            }
            rest = rest[scheme.upperBound...]
        } else {
            throw fail("it must start with redis://, redis-sentinel:// or redis-cluster:// (rediss… over TLS)")
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = try Self.percentDecoded(credentials[..<colon], url: url)
                username = user.isEmpty ? nil : user
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...], url: url)
            } else {
                // redis://secret@host is the old password-only form.
                password = try Self.percentDecoded(credentials, url: url)
            }
        }
        var path: [Substring] = []
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...].split(separator: "/", omittingEmptySubsequences: false)
            rest = rest[..<slash]
            if path.last?.isEmpty == true { path.removeLast() }  // a trailing slash
        }
        var database = 0
        var sentinel: Sentinel?
        var cluster: Cluster?
        if isCluster {
            // A cluster has database 0 only (SELECT is refused): a /db would be silently wrong.
            guard path.isEmpty else { throw fail("a Redis Cluster has only database 0: nothing may follow the seed nodes") }
            let seeds = try rest.split(separator: ",", omittingEmptySubsequences: false).map { part throws(RedisError) in
                try Self.endpoint(part, defaultPort: 6379, url: url)
            }
            guard !seeds.isEmpty else { throw fail("no seed node is named") }
            cluster = Cluster(seeds: seeds)
        } else if isSentinel {
            guard let name = path.first, !name.isEmpty else { throw fail("the primary's group name is missing (…/MASTER)") }
            guard !name.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) else { throw fail("unexpected characters in the group name '\(name)'") }
            guard path.count <= 2 else { throw fail("expected /MASTER[/db] after the Sentinels") }
            if path.count == 2 { database = try Self.database(path[1], url: url) }
            let endpoints = try rest.split(separator: ",", omittingEmptySubsequences: false).map { part throws(RedisError) in
                try Self.endpoint(part, defaultPort: 26_379, url: url)
            }
            guard !endpoints.isEmpty else { throw fail("no Sentinel is named") }
            sentinel = Sentinel(endpoints: endpoints, masterName: String(name))
        } else {
            guard path.count <= 1 else { throw fail("expected at most one /db after the host") }
            if let db = path.first { database = try Self.database(db, url: url) }
            guard !rest.contains(",") else { throw fail("several hosts need redis-sentinel://") }
        }
        let first: Endpoint
        if let sentinel {
            first = sentinel.endpoints[0]
        } else if let cluster {
            first = cluster.seeds[0]
        } else {
            first = try Self.endpoint(rest, defaultPort: 6379, url: url)
        }
        self.init(host: first.host, port: first.port, username: username, password: password, database: database, sentinel: sentinel,
                  cluster: cluster)
        self.tls = tls
    }

    /// The server as `host:port` (for `redis-sentinel://`, the Sentinels and the group; for
    /// `redis-cluster://`, the seeds, and the slot a pinned configuration serves).
    public var endpoint: String {
        if let sentinel { return sentinel.endpoints.map(\.description).joined(separator: ",") + "/" + sentinel.masterName }
        if let cluster { return cluster.seeds.map(\.description).joined(separator: ",") + (cluster.slot.map { " (slot \($0))" } ?? "") }
        return Endpoint(host: host, port: port).description
    }

    /// The URL again, with any password hidden: safe for logs.
    public var description: String {
        var text = cluster != nil ? "redis-cluster://" : sentinel == nil ? "redis://" : "redis-sentinel://"
        if tls != nil { text = "rediss" + text.dropFirst("redis".count) }
        if let username { text += username }
        if password != nil { text += ":***" }
        if username != nil || password != nil { text += "@" }
        text += endpoint
        if database != 0 { text += "/\(database)" }
        return text
    }

    /// The same login and database on another server (a Sentinel's primary, a cluster's node).
    public func at(_ endpoint: Endpoint) -> RedisConfiguration {
        var configuration = self
        configuration.host = endpoint.host
        configuration.port = endpoint.port
        configuration.sentinel = nil
        configuration.cluster = nil
        return configuration
    }

    /// For a cluster: the same configuration for connections that serve one slot (a worker's
    /// blocking read of one partition's streams), following that slot's primary. Anything else
    /// (a single Redis, Sentinel) has one primary for every key: returned as it is.
    public func pinned(to slot: HashSlot) -> RedisConfiguration {
        guard cluster != nil else { return self }
        var configuration = self
        configuration.cluster?.slot = slot
        return configuration
    }

    /// `pinned(to:)` the slot of this key.
    public func pinned(toKey key: String) -> RedisConfiguration { pinned(to: HashSlot(key: key)) }

    private static func database(_ text: Substring, url: String) throws(RedisError) -> Int {
        guard let db = Int(text), db >= 0, db <= 65_535 else { throw .invalidURL(url: url, reason: "database '\(text)' is not a number") }
        return db
    }

    private static func endpoint(_ text: Substring, defaultPort: Int, url: String) throws(RedisError) -> Endpoint {
        func fail(_ reason: String) -> RedisError { .invalidURL(url: url, reason: reason) }
        var host = text
        var port = defaultPort
        if host.hasPrefix("[") {  // [::1]:6379
            guard let close = host.firstIndex(of: "]") else { throw fail("unclosed '[' in host") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { throw fail("bad port '\(after.dropFirst())'") }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            let portText = host[host.index(after: colon)...]
            guard let p = Int(portText) else { throw fail("port '\(portText)' is not a number") }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw fail("the host is missing") }
        guard (1...65_535).contains(port) else { throw fail("port \(port) is out of range") }
        guard !host.contains(where: { $0 == "?" || $0 == "#" || $0 == " " }) else { throw fail("unexpected characters in host '\(host)'") }
        return Endpoint(host: String(host), port: port)
    }

    private static func percentDecoded(_ text: Substring, url: String) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next(), let low = iterator.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { throw .invalidURL(url: url, reason: "bad percent-escape in credentials") }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
