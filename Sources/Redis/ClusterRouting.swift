/// A Redis Cluster node's answer that a command belongs elsewhere or later. The command did not
/// run, so sending it again (where and when the answer says) is always safe: it is routing, not a
/// failure. Callers that count failures (a worker's deliveries, an order's payment) must not count
/// these: `RedisError.isRouting` tells them apart.
public enum ClusterRouting: Sendable, Hashable, CustomStringConvertible {
    /// `MOVED slot host:port`: the slot lives on that node now. The slot map is out of date.
    case moved(slot: HashSlot, to: RedisEndpoint)
    /// `ASK slot host:port`: the slot is being migrated and this key is (or will be) on that node
    /// already. Send `ASKING` then the command there, once, on one connection; the map is right.
    case ask(slot: HashSlot, to: RedisEndpoint)
    /// `TRYAGAIN`: a multi-key command whose keys are split by a slot's migration; later it works.
    case tryAgain
    /// `CLUSTERDOWN`: the node thinks the cluster (or this slot) is not served now, e.g. while a
    /// replica is being promoted. Later it works.
    case clusterDown
    /// `UNBLOCKED`: a blocked read was cut short because its node stopped being a primary (or
    /// stopped serving the slot). The read did not consume anything; read again at the new owner.
    case unblocked

    /// The error code that announces it.
    public var code: String {
        switch self {
        case .moved: return "MOVED"
        case .ask: return "ASK"
        case .tryAgain: return "TRYAGAIN"
        case .clusterDown: return "CLUSTERDOWN"
        case .unblocked: return "UNBLOCKED"
        }
    }

    public var description: String {
        switch self {
        case .moved(let slot, let to): return "MOVED \(slot) \(to)"
        case .ask(let slot, let to): return "ASK \(slot) \(to)"
        default: return code
        }
    }

    /// The routing an error reply announces, if it announces one. `MOVED` and `ASK` must name a
    /// slot in range and a port in range; a malformed one is no routing (it stays a server error).
    /// An empty host (`MOVED 12 :6380`) means the host of the node that answered, which only the
    /// caller knows: it is kept empty here.
    public init?(errorReply message: String) {
        let parts = message.split(separator: " ", omittingEmptySubsequences: true)
        guard let code = parts.first else { return nil }
        switch code {
        case "MOVED", "ASK":
            guard parts.count == 3, let number = Int(parts[1]), let slot = HashSlot(number),
                  let endpoint = Self.endpoint(parts[2]) else { return nil }
            self = code == "MOVED" ? .moved(slot: slot, to: endpoint) : .ask(slot: slot, to: endpoint)
        case "TRYAGAIN": self = .tryAgain
        case "CLUSTERDOWN": self = .clusterDown
        case "UNBLOCKED": self = .unblocked
        default: return nil
        }
    }

    /// `host:port`, `[v6]:port` or `v6:port` (the last colon separates the port).
    private static func endpoint(_ text: Substring) -> RedisEndpoint? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard host != "?" else { return RedisEndpoint(host: "", port: port) }
        return RedisEndpoint(host: String(host), port: port)
    }

    /// The endpoint with the answering node's host when the reply left it out.
    func target(answeredBy node: RedisEndpoint) -> RedisEndpoint? {
        switch self {
        case .moved(_, let to), .ask(_, let to): return to.host.isEmpty ? RedisEndpoint(host: node.host, port: to.port) : to
        default: return nil
        }
    }
}
