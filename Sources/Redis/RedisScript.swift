import Synchronization

/// A Lua script run with `EVALSHA`, loaded on first use and again after `NOSCRIPT`
/// (a restarted Redis has forgotten every script).
public struct RedisScript: Sendable, Hashable {
    public let source: String

    public init(source: String) {
        self.source = source
    }

    private static let loaded = Mutex<[String: String]>([:])

    /// A script's keys must all be in one hash slot when any of them carries a hash tag (a
    /// partitioned deployment): checked on every topology, a single Redis included, so a key left
    /// without its partition's tag fails in every test rather than only on a cluster. Keys without
    /// any tag (one unpartitioned deployment) are not checked: they are never on a cluster.
    package static func checkSlots(of keys: [String]) throws(RedisError) {
        guard keys.count > 1, keys.contains(where: HashSlot.hasTag) else { return }
        let slot = HashSlot(key: keys[0])
        if keys.dropFirst().contains(where: { HashSlot(key: $0) != slot }) {
            throw .crossSlot(command: "a script", keys: keys)
        }
    }

    /// Runs the script on this connection; an error reply is thrown as `RedisError.server`.
    public func run(on connection: RedisConnection, keys: [String], arguments: RedisCommand) throws(RedisError) -> RESPValue {
        try Self.checkSlots(of: keys)
        var reply = RESPValue.error("NOSCRIPT not loaded yet")
        if let sha = loadedSHA { reply = try connection.sendKeepingErrors(command(sha: sha, keys: keys, arguments: arguments)) }
        if Self.isNoScript(reply) {
            let sha = try loaded(by: try connection.send(loadCommand))
            reply = try connection.sendKeepingErrors(command(sha: sha, keys: keys, arguments: arguments))
        }
        if let error = reply.serverError { throw error }
        return reply
    }

    // The steps of a run, for every client: EVALSHA with the SHA known so far; on `NOSCRIPT`
    // (or before any SHA is known) `SCRIPT LOAD`, then EVALSHA again.

    /// The SHA Redis knows the script by, once some connection has loaded it.
    package var loadedSHA: String? { Self.loaded.withLock { $0[source] } }

    /// `SCRIPT LOAD source`.
    package var loadCommand: RedisCommand { RedisCommand("SCRIPT", "LOAD", source) }

    /// Remembers the SHA from `SCRIPT LOAD`'s reply and returns it.
    package func loaded(by reply: RESPValue) throws(RedisError) -> String {
        guard let sha = reply.string else { throw .unexpectedReply(expected: "a script SHA", got: "\(reply)") }
        Self.loaded.withLock { $0[source] = sha }
        return sha
    }

    /// True for the error reply of a script Redis does not know (a restarted Redis).
    package static func isNoScript(_ reply: RESPValue) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("NOSCRIPT") }
        return false
    }

    /// `EVALSHA sha numkeys key... arg...`; `arguments` is an argument list, not a command.
    package func command(sha: String, keys: [String], arguments: RedisCommand) -> RedisCommand {
        var command = RedisCommand(["EVALSHA", sha, String(keys.count)] + keys)
        command.append(argumentsOf: arguments)
        return command
    }
}
