import Logging
import NIOCore
import NIOPosix
import Redis

/// Redis for request paths, on the event loops: one pipelined connection per loop of the group
/// (many commands in flight on one socket, replies matched in order by hiredis's reader). A
/// caller running on an event loop (an HTTP request's task, see `HTTPServer`'s event-loop
/// executor) uses its own loop's connection, so a command is written and its reply read without
/// leaving that thread; any other caller takes the loops' connections in turn.
///
/// The promises of `RedisClient` hold: binary-safe arguments, typed `RedisError`s, a broken
/// connection replaced on the next call (a command whose reply was lost fails with
/// `connectionLost`; it is never sent again), back-off while Redis is unreachable, AUTH and
/// SELECT from the configuration, scripts loaded again after `NOSCRIPT`. Where it connects is
/// asked of an `RedisEndpointResolver` on every (re)connect; a `READONLY` or `LOADING` answer
/// (`RedisError.notPrimary`) retires the connection, so the next call asks again.
/// Not for blocking commands (`BLPOP`, `XREADGROUP … BLOCK`): they would hold up every caller
/// behind them on the loop's connection. The workers' blocking reads keep `RedisClient`.
public final class NIORedisClient: RedisExecutor {
    public let configuration: RedisConfiguration
    private let connections: PerEventLoop<RedisLoopConnection>
    /// Writes that must reach replicas before the caller hears of them (`BAEDAL_MIN_REPLICAS`)
    /// run with their `WAIT` here, on blocking connections of their own (made on first use): a
    /// `WAIT` holds its connection until the replicas answer (up to its timeout), which on a
    /// loop's shared connection would hold up every request behind it.
    private let confirmed: RedisPool

    public init(configuration: RedisConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                endpoint: (any RedisEndpointResolver)? = nil, maxBackoffMilliseconds: Int = 3_000,
                logger: Logger = Logger(label: "baedal.redis")) {
        self.configuration = configuration
        let resolver = endpoint ?? configuration.endpointResolver
        confirmed = RedisPool(configuration: configuration, size: 4, logger: logger)
        // Behind Sentinel a failed connect is a failover under way: ask again soon (as RedisClient).
        let backoff = configuration.sentinel == nil ? maxBackoffMilliseconds : min(maxBackoffMilliseconds, 1_000)
        connections = PerEventLoop(group: group) {
            RedisLoopConnection(eventLoop: $0, configuration: configuration, resolver: resolver,
                                maxBackoff: .milliseconds(backoff), logger: logger)
        }
    }

    /// The connection of the caller's event loop, else the next one in turn.
    private var connection: RedisLoopConnection { connections.current }

    /// One command; an error reply is thrown as a `RedisError`.
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        let reply = try await connection.send(command)
        if let error = reply.serverError { throw error }
        return reply
    }

    /// One write for all the commands; the first error reply is thrown after every reply was read.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        let replies = try await connection.pipeline(commands)
        if let error = replies.lazy.compactMap(\.serverError).first { throw error }
        return replies
    }

    /// One write for all the commands; error replies stay in place as `.error`.
    public func pipelineKeepingErrors(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await connection.pipeline(commands)
    }

    /// `EVALSHA`; on `NOSCRIPT` (a restarted Redis) the script is loaded and run again.
    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand) async throws -> RESPValue {
        try RedisScript.checkSlots(of: keys)
        let connection = self.connection
        var reply = RESPValue.error("NOSCRIPT not loaded yet")
        if let sha = script.loadedSHA { reply = try await connection.send(script.command(sha: sha, keys: keys, arguments: arguments)) }
        if RedisScript.isNoScript(reply) {
            let loaded = try await connection.send(script.loadCommand)
            if let error = loaded.serverError { throw error }
            reply = try await connection.send(script.command(sha: try script.loaded(by: loaded), keys: keys, arguments: arguments))
        }
        if let error = reply.serverError { throw error }
        return reply
    }

    /// The script and `WAIT` on one of the confirmed writes' connections (see `confirmed`).
    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand, replication: Replication) async throws -> (reply: RESPValue, replicas: Int) {
        guard replication.replicas > 0 else { return (try await run(script, keys: keys, arguments: arguments), 0) }
        return try await confirmed.run(script, keys: keys, arguments: arguments, replication: replication)
    }

    /// `touch` and `WAIT` on one of the confirmed writes' connections (see `confirmed`).
    public func confirm(touching touch: RedisCommand, replication: Replication) async throws -> Int {
        guard replication.replicas > 0 else { return 0 }
        return try await confirmed.confirm(touching: touch, replication: replication)
    }

    /// Later calls throw `closed`; each connection closes once its callers have their replies.
    public func close() {
        for (_, connection) in connections.elements { connection.close() }
        confirmed.close()
    }
}
