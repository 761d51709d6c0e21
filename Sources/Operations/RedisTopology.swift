import Numbers
import Redis

/// Who serves the deployment's Redis: the primary, its replicas with how far behind each is, and
/// (with `redis-sentinel://`) what each Sentinel names as the primary and whether they agree. What
/// `baedalctl status` shows first.
public struct RedisTopology: Sendable, Hashable {
    public struct Replica: Sendable, Hashable {
        public var endpoint: String
        public var state: String
        /// Seconds since the replica last acknowledged (Redis's `lag`).
        public var lagSeconds: Int?
        /// Bytes of the replication stream the replica has not confirmed yet.
        public var behindBytes: Int?
    }

    public struct SentinelView: Sendable, Hashable {
        public var endpoint: String
        /// The primary it names; nil when it did not answer.
        public var primary: String?
    }

    public var primary: String
    public var replicas: [Replica]
    public var sentinels: [SentinelView]

    /// Every Sentinel answered and named the primary this connection reached.
    public var sentinelsAgree: Bool { !sentinels.isEmpty && sentinels.allSatisfy { $0.primary == primary } }

    /// The topology seen from a connection to the primary.
    public static func inspect(_ configuration: RedisConfiguration, primary connection: RedisConnection) throws(RedisError) -> RedisTopology {
        let primary = connection.primary?.description ?? RedisConfiguration.Endpoint(host: configuration.host, port: configuration.port).description
        let info = try connection.send(RedisCommand("INFO", "replication")).string ?? ""
        let fields = Self.fields(info)
        let masterOffset = fields["master_repl_offset"].flatMap { Int($0) }
        var replicas: [Replica] = []
        for index in 0..<(fields["connected_slaves"].flatMap { Int($0) } ?? 0) {
            guard let line = fields["slave\(index)"] else { continue }
            let parts = Self.pairs(line)
            let offset = parts["offset"].flatMap { Int($0) }
            replicas.append(Replica(endpoint: "\(parts["ip"] ?? "?"):\(parts["port"] ?? "?")", state: parts["state"] ?? "?",
                                    lagSeconds: parts["lag"].flatMap { Int($0) },
                                    behindBytes: masterOffset.flatMap { master in offset.map { max(0, master.clampedSubtracting($0)) } }))
        }
        var sentinels: [SentinelView] = []
        if let sentinel = configuration.sentinel {
            for endpoint in sentinel.endpoints {
                var plain = RedisConfiguration(host: endpoint.host, port: endpoint.port)
                plain.tls = configuration.tls
                plain.connectTimeoutMilliseconds = configuration.sentinelTimeoutMilliseconds
                plain.readTimeoutMilliseconds = configuration.sentinelTimeoutMilliseconds
                let named = try? RedisConnection(plain: plain).send(RedisCommand("SENTINEL", "get-master-addr-by-name", sentinel.masterName))
                let address = named?.array.flatMap { parts in parts.count == 2 ? "\(parts[0].string ?? "?"):\(parts[1].string ?? "?")" : nil }
                sentinels.append(SentinelView(endpoint: endpoint.description, primary: address))
            }
        }
        return RedisTopology(primary: primary, replicas: replicas, sentinels: sentinels)
    }

    /// `INFO`'s `name:value` lines.
    static func fields(_ info: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in info.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// `ip=…,port=…,state=…` of a `slaveN` line.
    static func pairs(_ line: String) -> [String: String] {
        var pairs: [String: String] = [:]
        for part in line.split(separator: ",") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            pairs[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        return pairs
    }
}
