import Redis

extension RedisExecutor {
    /// Many reads in one round trip, error replies kept in place (a key deleted meanwhile reads
    /// as an error, not as a failed page); nothing is sent for no commands.
    func each(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        commands.isEmpty ? [] : try await pipelineKeepingErrors(commands)
    }
}
