/// Everything that can go wrong talking to Redis, as values a caller can switch on.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `BAEDAL_REDIS_URL` (or another URL) is not `redis://[user:password@]host[:port][/db]`.
    case invalidURL(url: String, reason: String)
    /// No connection could be made (refused, unreachable, AUTH or SELECT rejected).
    case connectionFailed(endpoint: String, reason: String)
    /// The server's TLS was refused: its certificate does not chain to the CA we trust or does
    /// not name the host, or it does not speak TLS at all. A configuration error (of the URL,
    /// `BAEDAL_REDIS_TLS_CA`, or the server's certificate): a daemon starting with it exits 2.
    /// Like `connectionFailed`, no command ran.
    case tlsRefused(endpoint: String, reason: String)
    /// The connection broke while a command was in flight: the reply is unknown.
    case connectionLost(reason: String)
    /// Redis answered with an error reply, e.g. `NOGROUP No such key ...`.
    case server(String)
    /// The server answered `READONLY` or `LOADING`: it is not (or not yet) a writable primary,
    /// e.g. a replica after a failover. The connection should go to the primary again (a client
    /// replaces it, asking its `RedisEndpointResolver` where that is) and the call may be retried.
    case notPrimary(String)
    /// Redis answered, but not in the shape the caller needs.
    case unexpectedReply(expected: String, got: String)
    /// The client was shut down.
    case closed
    /// A write reached the primary but not `required` replicas within the time allowed: it may
    /// be lost if the primary fails now. Retrying it (with its idempotency key) is safe.
    case notReplicated(acknowledged: Int, required: Int)
    /// A Redis Cluster node sent the command elsewhere or asked for it later (`MOVED`, `ASK`,
    /// `TRYAGAIN`, `CLUSTERDOWN`, `UNBLOCKED`), with the reply as it came. The command did not
    /// run: routing, never a failed handling (`isRouting`, not `isPermanent`).
    case routing(ClusterRouting, reply: String)
    /// The keys of one command (or one transaction) hash to more than one cluster slot, or not to
    /// the slot its client is pinned to: refused before sending, as Redis would (`CROSSSLOT`).
    case crossSlot(command: String, keys: [String])
    /// A command a cluster client cannot route: it does not know where its keys are (see
    /// `ClusterKeys`), so it refuses it rather than send it to a node at random.
    case unroutable(command: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): return "invalid Redis URL '\(url)': \(reason)"
        case .connectionFailed(let endpoint, let reason): return "cannot connect to Redis at \(endpoint): \(reason)"
        case .tlsRefused(let endpoint, let reason): return "Redis at \(endpoint) refused over TLS: \(reason)"
        case .connectionLost(let reason): return "connection to Redis lost: \(reason)"
        case .server(let message): return "Redis error: \(message)"
        case .notPrimary(let message): return "Redis is not a writable primary: \(message)"
        case .unexpectedReply(let expected, let got): return "unexpected Redis reply: expected \(expected), got \(got)"
        case .closed: return "Redis client is closed"
        case .notReplicated(let acknowledged, let required):
            return "the write reached \(acknowledged) of the \(required) replicas it needs in time; it is not yet safe from a failover"
        case .routing(_, let reply): return "Redis Cluster routing: \(reply)"
        case .crossSlot(let command, let keys):
            return "\(command): its keys \(keys.map { "'\($0)'" }.joined(separator: ", ")) are in different cluster slots (give them one {hash tag})"
        case .unroutable(let command): return "\(command): a cluster client does not know which of its arguments are keys"
        }
    }

    /// The server refused our TLS session after the handshake (TLS 1.3 judges the client's
    /// certificate then): a configuration error, with the setting to look at. Both clients say it so.
    public static func clientCertificateRefused(endpoint: String, _ reason: String) -> RedisError {
        .tlsRefused(endpoint: endpoint, reason: "\(reason) (does BAEDAL_REDIS_TLS_CERT hold a certificate the server's CA signed?)")
    }

    /// What to throw when no server of several (Sentinels, cluster nodes) could be used: the
    /// TLS refusal when every one of them refused our TLS (a configuration error, the same for
    /// all), else a connection failure naming each problem.
    public static func noneAnswered(_ endpoint: String, _ what: String, _ errors: [(String, RedisError)]) -> RedisError {
        let problems = errors.map { "\($0.0): \($0.1)" }.joined(separator: "; ")
        let refusals = errors.compactMap { entry -> String? in
            if case .tlsRefused(_, let reason) = entry.1 { return "\(entry.0): \(reason)" }
            return nil
        }
        if !errors.isEmpty, refusals.count == errors.count {
            return .tlsRefused(endpoint: endpoint, reason: refusals.joined(separator: "; "))
        }
        return .connectionFailed(endpoint: endpoint, reason: "\(what) (\(problems))")
    }

    /// The typed error of an error reply: `notPrimary` for `READONLY`, `LOADING` and `MASTERDOWN`,
    /// `routing` for a cluster's `MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN` and `UNBLOCKED`, else `server`.
    public init(errorReply message: String) {
        let code = message.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        if Self.notPrimaryCodes.contains(code) {
            self = .notPrimary(message)
        } else if Self.routingCodes.contains(code), let routing = ClusterRouting(errorReply: message) {
            self = .routing(routing, reply: message)
        } else {
            self = .server(message)
        }
    }

    /// The error code of a server error reply: `ERR`, `NOGROUP`, `BUSYGROUP`, `NOSCRIPT`, `WRONGTYPE`, `READONLY`, ...
    public var serverCode: String? {
        switch self {
        case .server(let message), .notPrimary(let message): return message.split(separator: " ", maxSplits: 1).first.map(String.init)
        case .routing(let routing, _): return routing.code
        case .crossSlot: return "CROSSSLOT"
        default: return nil
        }
    }

    /// A server error that no retry can fix: a key of the wrong type, an increment that would
    /// overflow, a command Redis refuses. Not the passing states of a healthy deployment: a Redis
    /// still loading, read-only or short of replicas around a failover, out of memory, busy with a
    /// script, or missing a script or a group (both are re-created by the caller).
    /// A cluster's routing is never permanent; keys in different slots (a program's mistake) are.
    public var isPermanent: Bool {
        switch self {
        case .routing: return false
        case .crossSlot, .unroutable: return true
        default: break
        }
        guard let code = serverCode else { return false }
        return !Self.passingCodes.contains(code)
    }

    /// Error codes of a command that did not run and should run shortly: a server loading,
    /// read-only, without its replicas or primary, out of memory, busy with a script; a cluster's
    /// routing; and the client's own (`NOSCRIPT`, `NOGROUP`) that it handles itself.
    public static let passingCodes: Set<String> = [
        "LOADING", "READONLY", "NOREPLICAS", "MASTERDOWN", "OOM", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MISCONF",
        "NOSCRIPT", "NOGROUP", "MOVED", "ASK", "UNBLOCKED",
    ]

    /// Error codes of a Redis Cluster's routing (`ClusterRouting`).
    public static let routingCodes: Set<String> = ["MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "UNBLOCKED"]

    /// The command did not run because of where or when it was sent: a cluster's `MOVED`, `ASK`,
    /// `TRYAGAIN`, `CLUSTERDOWN`, a blocked read's `UNBLOCKED`, or a node still `LOADING`. Send it
    /// again (a cluster client does so itself, within its retry time); never count it as a failed
    /// handling, never recreate a group or cancel a payment because of it.
    public var isRouting: Bool {
        switch self {
        case .routing: return true
        case .notPrimary: return serverCode == "LOADING"
        case .server: return serverCode.map { Self.routingCodes.contains($0) || $0 == "LOADING" } ?? false
        default: return false
        }
    }

    /// The cluster routing this error announces, if any.
    public var clusterRouting: ClusterRouting? {
        if case .routing(let routing, _) = self { return routing }
        return nil
    }

    /// Whether a write that failed with this error may nonetheless stand: its reply was lost, or
    /// it reached the primary but not enough replicas. (Every other error means it was not applied.)
    public var mayHaveWritten: Bool {
        switch self {
        case .connectionLost, .notReplicated: return true
        default: return false
        }
    }

    /// Error codes of a server that cannot take our writes now (a demoted primary, one still
    /// loading, one whose primary is down): the connection is replaced and, with Sentinel, the
    /// primary asked for again.
    public static let notPrimaryCodes: Set<String> = ["READONLY", "LOADING", "MASTERDOWN"]

    /// True when the connection (not the command) failed, or reached a server that is not the
    /// primary (any more): worth reconnecting and trying again. A write that failed this way was
    /// not applied, except `connectionLost`, whose outcome is unknown.
    /// The command did not run, and Redis should take it shortly: a connection that could not
    /// be made or a server that is not the primary (yet), a cluster's routing past the client's
    /// own retries, or a passing reply (`LOADING`, `TRYAGAIN`, `CLUSTERDOWN`, `OOM`, `BUSY`…).
    /// Never a lost reply (`connectionLost`: its outcome is unknown).
    public var isPassing: Bool {
        switch self {
        case .routing, .connectionFailed, .tlsRefused, .notPrimary: return true
        case .server: return serverCode.map { Self.passingCodes.contains($0) && $0 != "NOSCRIPT" && $0 != "NOGROUP" } ?? false
        default: return false
        }
    }

    public var isConnectionProblem: Bool {
        switch self {
        case .connectionFailed, .tlsRefused, .connectionLost, .notPrimary: return true
        case .server: return serverCode.map(Self.notPrimaryCodes.contains) ?? false
        default: return false
        }
    }
}
