import Logging

/// A few `RedisClient`s for request paths: each command goes to the client with the fewest in
/// flight, so one slow command never holds up the rest.
public final class RedisPool: Sendable {
    public let clients: [RedisClient]

    public init(configuration: RedisConfiguration, size: Int = 4, logger: Logger = Logger(label: "baedal.redis")) {
        precondition(size > 0, "a pool needs at least one connection")
        clients = (0..<size).map { RedisClient(configuration: configuration, label: "redis.pool.\($0)", logger: logger) }
    }

    /// The least busy client; use it for a group of commands that must share a connection.
    public var client: RedisClient {
        clients.min(by: { $0.inFlight < $1.inFlight })!
    }

    public func send(_ command: RedisCommand) async throws -> RESPValue {
        try await client.send(command)
    }


    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await client.pipeline(commands)
    }

    public func close() {
        for client in clients { client.close() }
    }
}
