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
}

extension RedisPool: RedisExecutor {
    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand) async throws -> RESPValue {
        try await client.run(script, keys: keys, arguments: arguments)
    }

    public func pipelineKeepingErrors(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await client.pipelineKeepingErrors(commands)
    }
}
