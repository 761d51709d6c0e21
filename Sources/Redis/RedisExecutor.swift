import Metrics
/// What a repository or a read model needs of Redis on a request path: a command, a pipeline,
/// a script. `RedisPool` and `RedisClient` are executors; so is any client that follows the
/// same promises (typed errors, reconnection, scripts re-loaded after `NOSCRIPT`).
public protocol RedisExecutor: Sendable {
    /// One command; an error reply is thrown as `RedisError.server`.
    func send(_ command: RedisCommand) async throws -> RESPValue
    /// One round trip; the first error reply is thrown after every reply was read.
    func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue]
    /// One round trip; error replies stay in place as `.error`.
    func pipelineKeepingErrors(_ commands: [RedisCommand]) async throws -> [RESPValue]
    /// A Lua script by its SHA, loaded on first use and again after `NOSCRIPT`.
    func run(_ script: RedisScript, keys: [String], arguments: RedisCommand) async throws -> RESPValue
    /// The script, then `WAIT` on the same connection: its reply, and how many replicas have its
    /// writes (and everything the primary took before them) within the replication's timeout.
    func run(_ script: RedisScript, keys: [String], arguments: RedisCommand, replication: Replication) async throws -> (reply: RESPValue, replicas: Int)
    /// A write (`touch`, harmless, of a key the caller cares about) then `WAIT` on one connection:
    /// how many replicas have everything the primary took so far (what another connection wrote
    /// before included: replication is one ordered stream).
    func confirm(touching touch: RedisCommand, replication: Replication) async throws -> Int
}

/// How many replicas a write that a user is told succeeded must reach first, and how long to
/// wait for them (`BAEDAL_MIN_REPLICAS`: Redis replication is asynchronous, `WAIT` makes it a
/// checked promise for the writes that matter).
public struct Replication: Sendable, Hashable {
    public var replicas: Int
    public var timeoutMilliseconds: Int

    public init(replicas: Int, timeoutMilliseconds: Int = 1_000) {
        self.replicas = replicas
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Nothing to wait for (a single Redis).
    public static let none = Replication(replicas: 0)

    /// Throws `notReplicated` when fewer than the required replicas confirmed, and counts it
    /// (`baedal_writes_unreplicated_total`: a write a user was not told succeeded).
    public func check(_ acknowledged: Int) throws(RedisError) {
        if acknowledged < replicas {
            Counter(label: "baedal_writes_unreplicated_total").increment()
            throw .notReplicated(acknowledged: acknowledged, required: replicas)
        }
    }

    var wait: RedisCommand { RedisCommand("WAIT", String(replicas), String(timeoutMilliseconds)) }
}

extension RedisExecutor {
    /// One command built from strings.
    public func send(_ arguments: String...) async throws -> RESPValue {
        try await send(RedisCommand(arguments))
    }
}

extension RedisClient: RedisExecutor {
    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand) async throws -> RESPValue {
        try await withConnection { connection throws(RedisError) in try script.run(on: connection, keys: keys, arguments: arguments) }
    }

    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand, replication: Replication) async throws -> (reply: RESPValue, replicas: Int) {
        try await withConnection { connection throws(RedisError) in
            let reply = try script.run(on: connection, keys: keys, arguments: arguments)
            guard replication.replicas > 0 else { return (reply, 0) }
            return (reply, try connection.send(replication.wait).int ?? 0)
        }
    }

    public func confirm(touching touch: RedisCommand, replication: Replication) async throws -> Int {
        guard replication.replicas > 0 else { return 0 }
        return try await withConnection { connection throws(RedisError) in
            try connection.pipeline([touch, replication.wait]).last?.int ?? 0
        }
    }
}

extension RedisPool: RedisExecutor {
    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand) async throws -> RESPValue {
        try await client.run(script, keys: keys, arguments: arguments)
    }

    public func pipelineKeepingErrors(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await client.pipelineKeepingErrors(commands)
    }

    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand, replication: Replication) async throws -> (reply: RESPValue, replicas: Int) {
        try await client.run(script, keys: keys, arguments: arguments, replication: replication)
    }

    public func confirm(touching touch: RedisCommand, replication: Replication) async throws -> Int {
        try await client.confirm(touching: touch, replication: replication)
    }
}
