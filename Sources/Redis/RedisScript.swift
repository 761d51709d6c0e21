import Synchronization

/// A Lua script run with `EVALSHA`, loaded on first use and again after `NOSCRIPT`
/// (a restarted Redis has forgotten every script).
public struct RedisScript: Sendable, Hashable {
    public let source: String

    public init(source: String) {
        self.source = source
    }

    private static let loaded = Mutex<[String: String]>([:])

    /// Runs the script on this connection; an error reply is thrown as `RedisError.server`.
    public func run(on connection: RedisConnection, keys: [String], arguments: RedisCommand) throws(RedisError) -> RESPValue {
        var sha = Self.loaded.withLock { $0[source] }
        if sha == nil { sha = try load(on: connection) }
        var reply = try connection.sendKeepingErrors(command(sha: sha!, keys: keys, arguments: arguments))
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            reply = try connection.sendKeepingErrors(command(sha: try load(on: connection), keys: keys, arguments: arguments))
        }
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    private func load(on connection: RedisConnection) throws(RedisError) -> String {
        let reply = try connection.send(RedisCommand("SCRIPT", "LOAD", source))
        guard let sha = reply.string else { throw .unexpectedReply(expected: "a script SHA", got: "\(reply)") }
        Self.loaded.withLock { $0[source] = sha }
        return sha
    }

    /// `EVALSHA sha numkeys key... arg...`; `arguments` is an argument list, not a command.
    private func command(sha: String, keys: [String], arguments: RedisCommand) -> RedisCommand {
        var command = RedisCommand(["EVALSHA", sha, String(keys.count)] + keys)
        command.append(argumentsOf: arguments)
        return command
    }
}
