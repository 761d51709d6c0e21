#if canImport(Glibc)
import Glibc
#endif

extension RedisClient {
    /// `send` and the pipelines of a client pinned to a cluster slot, on the client's queue.
    ///
    /// Every key must be in the pinned slot (else `crossSlot`, before anything is sent: the
    /// client would be reading another partition's node; a command `ClusterKeys` does not know
    /// is let through). The commands go out in one round trip;
    /// a command answered with routing did not run, so it alone is sent again: after `MOVED` or
    /// `UNBLOCKED` on a new connection to the slot's new primary (the connection refreshed the
    /// map when it saw the reply), after `ASK` once with `ASKING` on a connection to the node
    /// named, after `TRYAGAIN`, `CLUSTERDOWN` or `LOADING` on the same slot's primary after a
    /// back-off (25 ms doubling to 1 s), all within the cluster's `retryMilliseconds`. What still
    /// answers with routing then is left in place (or thrown, without `keepingErrors`).
    func followingCluster(_ commands: [RedisCommand], slot: HashSlot, keepingErrors: Bool) throws(RedisError) -> [RESPValue] {
        for command in commands {
            // A command the table does not know is not checked: its node will say MOVED if need be.
            guard case .keys(let keys) = ClusterKeys.keys(of: command) else { continue }
            if try ClusterKeys.slot(of: keys, command: command.name) != slot {
                throw .crossSlot(command: "\(command.name) on a client pinned to slot \(slot)", keys: keys.map { String(decoding: $0, as: UTF8.self) })
            }
        }
        let connection = try liveConnection()
        var replies = try connection.pipelineKeepingErrors(commands)
        guard replies.count == commands.count else { throw .unexpectedReply(expected: "\(commands.count) replies", got: "\(replies.count)") }
        let deadline = ContinuousClock.now + .milliseconds(configuration.cluster?.retryMilliseconds ?? 0)
        for index in replies.indices {
            guard let error = replies[index].serverError, error.isRouting else { continue }
            replies[index] = try follow(commands[index], after: replies[index], error, answeredBy: connection.primary, until: deadline)
        }
        if !keepingErrors, let error = replies.lazy.compactMap(\.serverError).first { throw error }
        return replies
    }

    /// One command again, where and when its routing reply says, until it is answered otherwise
    /// or the time is up (then its last reply is returned as it is).
    private func follow(_ command: RedisCommand, after firstReply: RESPValue, _ first: RedisError, answeredBy firstNode: RedisEndpoint?,
                        until deadline: ContinuousClock.Instant) throws(RedisError) -> RESPValue {
        var error = first
        var node = firstNode
        var reply = firstReply
        var backoff = 25
        var redirects = 0
        while true {
            if case .ask(_, _)? = error.clusterRouting, let target = node.flatMap({ error.clusterRouting?.target(answeredBy: $0) }) {
                redirects += 1
                reply = try asking(command, at: target)
                node = target
            } else {
                let isRedirect = error.clusterRouting.map { if case .moved = $0 { return true } else { return false } } ?? false
                if isRedirect && redirects == 0 {
                    redirects += 1  // the connection refreshed the map: go at once
                } else {
                    guard ContinuousClock.now + .milliseconds(backoff) < deadline else { return reply }
                    usleep(UInt32(backoff) * 1_000)
                    backoff = min(backoff * 2, 1_000)
                }
                let connection = try liveConnection()
                reply = try connection.sendKeepingErrors(command)
                node = connection.primary
            }
            guard let next = reply.serverError, next.isRouting else { return reply }
            if redirects > 8 || ContinuousClock.now >= deadline { return reply }
            error = next
        }
    }

    /// `ASKING` and the command, adjacent on one short-lived connection to the importing node.
    private func asking(_ command: RedisCommand, at target: RedisEndpoint) throws(RedisError) -> RESPValue {
        let connection = try RedisConnection(plain: configuration.at(target))
        defer { connection.close() }
        let replies = try connection.pipelineKeepingErrors([RedisCommand("ASKING"), command])
        guard replies.count == 2 else { throw .unexpectedReply(expected: "2 replies", got: "\(replies.count)") }
        if let refused = replies[0].serverError { throw refused }
        return replies[1]
    }
}
