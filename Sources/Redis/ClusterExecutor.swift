import Logging
import Metrics
import Synchronization

/// A Redis Cluster as one `RedisExecutor`: each command goes to the primary of its keys' slot,
/// through an executor per node made by the caller's factory (the API passes `NIORedisClient`,
/// tools a `RedisPool`), so routing is written once for both clients.
///
/// - Keys are found by `ClusterKeys`; every key of one command (one script, one transaction)
///   must be in one slot, checked before anything is sent (`RedisError.crossSlot`). A command
///   without keys goes to any primary; `send(_:toSlot:)` picks one.
/// - The slot map is the shared `ClusterResolver`'s. `MOVED`: the command goes at once to the
///   node named and the map is refreshed behind it (one refresh for a storm of them). `ASK`:
///   `ASKING` and the command, adjacent on one connection of the node named, once; no map
///   change. `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `UNBLOCKED` and a node that refuses the
///   connection (a dead primary): back off (25 ms doubling to 1 s; the map refreshed first when
///   it may have changed) and route again, until the cluster's `retryMilliseconds` are spent.
///   Every one of those replies means the command did not run, so sending it again is safe. A
///   connection lost with the command in flight is never retried: its outcome is unknown.
/// - Pipelines are split by node and sent concurrently, one round trip per node; replies come
///   back in the caller's order. A command answered with routing is retried alone while the
///   others keep their replies. `MULTI` … `EXEC` travels as one unit.
/// - Scripts run on their first key's node (`NOSCRIPT` there is the node executor's to handle);
///   with a replication, the script and its `WAIT` run on one connection of that node.
public final class ClusterExecutor: ClosableRedisExecutor {
    public let configuration: RedisConfiguration
    public let resolver: ClusterResolver
    private let makeNode: @Sendable (RedisConfiguration) -> any RedisExecutor
    private let state = Mutex(State())
    private let turn = Atomic<Int>(0)
    private let retry: Duration
    private let logger: Logger
    /// `MOVED` and `ASK` followed for one command before its reply is given up on.
    private let maxRedirects = 5

    private struct State {
        var nodes: [RedisEndpoint: any RedisExecutor] = [:]
        var closed = false
    }

    /// `node` makes the executor of one node from the configuration of that node (the cluster's
    /// login and timeouts at the node's address); it is called once per node, on first use.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "baedal.redis.cluster"),
                node: @escaping @Sendable (RedisConfiguration) -> any RedisExecutor) {
        self.configuration = configuration
        resolver = ClusterResolver.shared(for: configuration) ?? ClusterResolver(configuration: configuration)
        makeNode = node
        retry = .milliseconds(configuration.cluster?.retryMilliseconds ?? RedisConfiguration.Cluster(seeds: []).retryMilliseconds)
        self.logger = logger
    }

    // MARK: RedisExecutor

    public func send(_ command: RedisCommand) async throws -> RESPValue {
        let reply = try await sendKeepingErrors(command)
        if let error = reply.serverError { throw error }
        return reply
    }

    /// One command, routed; an error reply that is not routing comes back as `.error`.
    public func sendKeepingErrors(_ command: RedisCommand) async throws -> RESPValue {
        try await one(command, to: try target(of: command))
    }

    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        let replies = try await pipelineKeepingErrors(commands)
        if let error = replies.lazy.compactMap(\.serverError).first { throw error }
        return replies
    }

    public func pipelineKeepingErrors(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        let units = try ClusterPipeline.units(of: commands)
        let map = try await resolver.slotMap()
        let keyless = anyPrimary(in: map)
        // Units by node, in the caller's order within each node.
        var byNode: [(node: RedisEndpoint, units: [Int])] = []
        var retried: [Int] = []
        for (index, unit) in units.enumerated() {
            guard let node = unit.slot.map({ map.primary(for: $0) }) ?? keyless else {
                retried.append(index)  // no primary serves its slot now: the retry loop waits for one
                continue
            }
            if let at = byNode.firstIndex(where: { $0.node == node }) { byNode[at].units.append(index) } else { byNode.append((node, [index])) }
        }
        var replies = [RESPValue](repeating: .null, count: commands.count)
        /// Where a unit answered with a redirect goes first when it is sent again.
        var firstHops: [Int: Hop] = [:]
        let batches = byNode.map { entry in (entry.node, entry.units.flatMap { commands[units[$0].range] }) }
        let outcomes = try await send(batches)
        for (batch, outcome) in zip(byNode, outcomes) {
            switch outcome {
            case .failure(let error):
                // Refused before anything was written (a dead node): every one of them again.
                guard case .connectionFailed = error else { throw error }
                resolver.refreshSoon(after: map.generation)
                retried += batch.units
            case .success(let batchReplies):
                var offset = 0
                for index in batch.units {
                    let range = units[index].range
                    let unitReplies = batchReplies[offset..<(offset + range.count)]
                    offset += range.count
                    if let routing = unitReplies.lazy.compactMap(\.serverError).first(where: { Self.retriable($0) }) {
                        retried.append(index)
                        switch decide(after: routing, from: batch.node) {
                        case .redirect(let target):
                            resolver.refreshSoon(after: map.generation)
                            firstHops[index] = .redirected(target)
                        case .ask(let target) where !units[index].isTransaction:
                            firstHops[index] = .asking(target)
                        default:
                            break
                        }
                    } else {
                        replies.replaceSubrange(range, with: unitReplies)
                    }
                }
            }
        }
        // Routed again one by one, in the caller's order (a redirected command did not run).
        for index in retried.sorted() {
            let unit = units[index]
            let unitReplies = try await again(unit, commands: Array(commands[unit.range]), startingAt: firstHops[index] ?? .map)
            replies.replaceSubrange(unit.range, with: unitReplies)
        }
        return replies
    }

    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand) async throws -> RESPValue {
        let target = try target(ofKeys: keys)
        return try await routed(target) { node in
            try await node.run(script, keys: keys, arguments: arguments)
        } asking: { node in
            try await Self.asking(script, keys: keys, arguments: arguments, replication: nil, on: node).reply
        }
    }

    public func run(_ script: RedisScript, keys: [String], arguments: RedisCommand, replication: Replication) async throws -> (reply: RESPValue, replicas: Int) {
        guard replication.replicas > 0 else { return (try await run(script, keys: keys, arguments: arguments), 0) }
        let target = try target(ofKeys: keys)
        return try await routed(target) { node in
            try await node.run(script, keys: keys, arguments: arguments, replication: replication)
        } asking: { node in
            try await Self.asking(script, keys: keys, arguments: arguments, replication: replication, on: node)
        }
    }

    public func confirm(touching touch: RedisCommand, replication: Replication) async throws -> Int {
        guard replication.replicas > 0 else { return 0 }
        return try await routed(try target(of: touch)) { node in
            try await node.confirm(touching: touch, replication: replication)
        } asking: { node in
            // Rare (a slot being migrated): ASKING, the write and its WAIT adjacent on one connection.
            let replies = try await Self.exactly(3, node.pipelineKeepingErrors([RedisCommand("ASKING"), touch, replication.wait]))
            if let error = replies[0].serverError ?? replies[1].serverError ?? replies[2].serverError { throw error }
            return replies[2].int ?? 0
        }
    }

    // MARK: Fan-out

    /// The slot map (learnt first if need be): every primary, its slots and its replicas.
    public func slotMap() async throws -> ClusterSlotMap { try await resolver.slotMap() }

    /// The primaries that serve slots now, in slot order.
    public func primaries() async throws -> [RedisEndpoint] { try await resolver.slotMap().primaries }

    /// The executor of one node (made on first use). It does no routing: for commands meant for
    /// that node (`INFO`, `SCAN`, `DBSIZE`).
    public func executor(for node: RedisEndpoint) throws(RedisError) -> any RedisExecutor {
        try state.withLock { state throws(RedisError) -> any RedisExecutor in
            guard !state.closed else { throw .closed }
            if let known = state.nodes[node] { return known }
            let made = makeNode(configuration.at(node))
            state.nodes[node] = made
            return made
        }
    }

    /// The primary that serves the slot now and its executor.
    public func executor(forSlot slot: HashSlot) async throws -> (node: RedisEndpoint, executor: any RedisExecutor) {
        var map = try await resolver.slotMap()
        if map.primary(for: slot) == nil { map = try await resolver.refresh(after: map.generation) }
        guard let node = map.primary(for: slot) else {
            throw RedisError.routing(.clusterDown, reply: "CLUSTERDOWN no primary serves slot \(slot)")
        }
        return (node, try executor(for: node))
    }

    /// A command for the primary of that slot, keyless (`CLUSTER COUNTKEYSINSLOT`, `WAIT`) or
    /// with keys in that slot (else `crossSlot`), routed and retried like any other.
    public func send(_ command: RedisCommand, toSlot slot: HashSlot) async throws -> RESPValue {
        if let own = try ClusterKeys.slot(of: command), own != slot {
            throw RedisError.crossSlot(command: "\(command.name) sent to slot \(slot)", keys: Self.keyTexts(command))
        }
        let reply = try await one(command, to: .slot(slot))
        if let error = reply.serverError { throw error }
        return reply
    }

    /// A keyless command on every primary at once (`INFO`, `DBSIZE`, `SCRIPT FLUSH`), replies in
    /// slot order. One primary's failure fails the whole (no partial answer); the map is
    /// refreshed behind it, so a retry reaches the primaries of then.
    public func sendToEveryPrimary(_ command: RedisCommand) async throws -> [(node: RedisEndpoint, reply: RESPValue)] {
        let map = try await resolver.slotMap()
        let outcomes = try await send(map.primaries.map { ($0, [command]) })
        var replies: [(node: RedisEndpoint, reply: RESPValue)] = []
        for (node, outcome) in zip(map.primaries, outcomes) {
            switch outcome {
            case .failure(let error):
                resolver.refreshSoon(after: map.generation)
                throw error
            case .success(let reply):
                if let error = reply.first?.serverError {
                    if Self.retriable(error) { resolver.refreshSoon(after: map.generation) }
                    throw error
                }
                replies.append((node, reply.first ?? .null))
            }
        }
        return replies
    }

    /// Closes every node executor that can be closed; later calls throw `closed`.
    public func close() {
        let nodes = state.withLock { state -> [any RedisExecutor] in
            state.closed = true
            defer { state.nodes = [:] }
            return Array(state.nodes.values)
        }
        for node in nodes { (node as? any ClosableRedisExecutor)?.close() }
    }

    // MARK: Routing

    private enum Target {
        case slot(HashSlot)
        case anyPrimary
    }

    private enum Hop {
        case map
        case redirected(RedisEndpoint)
        case asking(RedisEndpoint)
    }

    private func target(of command: RedisCommand) throws(RedisError) -> Target {
        try ClusterKeys.slot(of: command).map(Target.slot) ?? .anyPrimary
    }

    private func target(ofKeys keys: [String]) throws(RedisError) -> Target {
        try ClusterKeys.slot(of: keys.map { Array($0.utf8) }, command: "EVALSHA").map(Target.slot) ?? .anyPrimary
    }

    private func anyPrimary(in map: ClusterSlotMap) -> RedisEndpoint? {
        let primaries = map.primaries
        guard !primaries.isEmpty else { return nil }
        return primaries[(turn.add(1, ordering: .relaxed).newValue & Int.max) % primaries.count]
    }

    /// One command to its target, error replies kept.
    private func one(_ command: RedisCommand, to target: Target) async throws -> RESPValue {
        try await routed(target) { node in
            try await Self.exactly(1, node.pipelineKeepingErrors([command]))[0]
        } asking: { node in
            let replies = try await Self.exactly(2, node.pipelineKeepingErrors([RedisCommand("ASKING"), command]))
            if let refused = replies[0].serverError { throw refused }
            return replies[1]
        } routingIn: { reply in
            Self.retriable(reply.serverError) ? reply.serverError : nil
        }
    }

    /// A unit of a pipeline (a command, or a transaction) again, on its own.
    private func again(_ unit: ClusterPipeline.Unit, commands: [RedisCommand], startingAt hop: Hop) async throws -> [RESPValue] {
        let asking: (@Sendable (any RedisExecutor) async throws -> [RESPValue])?
        if unit.isTransaction {
            asking = nil  // ASKING would be queued inside MULTI, not obeyed: wait for the migration instead
        } else {
            asking = { node in
                let replies = try await Self.exactly(commands.count + 1, node.pipelineKeepingErrors([RedisCommand("ASKING")] + commands))
                if let refused = replies[0].serverError { throw refused }
                return Array(replies.dropFirst())
            }
        }
        return try await routed(unit.slot.map(Target.slot) ?? .anyPrimary, startingAt: hop, direct: { node in
            try await Self.exactly(commands.count, node.pipelineKeepingErrors(commands))
        }, asking: asking, routingIn: { replies in
            replies.lazy.compactMap(\.serverError).first(where: { Self.retriable($0) })
        })
    }

    /// The loop every command goes through: route by the map (or to where the last answer sent
    /// it), run, and decide by the outcome. `routingIn` finds a routing reply inside a result
    /// that kept its error replies; when the time is up that result is returned as it is.
    private func routed<T: Sendable>(_ target: Target, startingAt first: Hop = .map, direct: (any RedisExecutor) async throws -> T,
                                     asking: ((any RedisExecutor) async throws -> T)?,
                                     routingIn: (T) -> RedisError? = { _ in nil }) async throws -> T {
        var hop = first
        var backoff: Duration = .milliseconds(25)
        var redirects = 0
        let deadline = ContinuousClock.now + retry
        while true {
            let map = try await resolver.slotMap()
            var node: RedisEndpoint?
            switch hop {
            case .map:
                switch target {
                case .slot(let slot): node = map.primary(for: slot)
                case .anyPrimary: node = anyPrimary(in: map)
                }
            case .redirected(let endpoint), .asking(let endpoint):
                node = endpoint
            }
            var failure: RedisError
            var kept: T?
            if let node {
                do {
                    let result: T
                    if case .asking = hop, let asking { result = try await asking(try executor(for: node)) } else { result = try await direct(try executor(for: node)) }
                    guard let routing = routingIn(result) else { return result }
                    failure = routing
                    kept = result
                } catch let error as RedisError {
                    failure = error
                }
            } else {
                let what: String
                if case .slot(let slot) = target { what = "slot \(slot)" } else { what = "any slot" }
                failure = .routing(.clusterDown, reply: "CLUSTERDOWN no primary serves \(what) in the cluster's slot map")
            }
            func giveUp() throws -> T {
                if let kept { return kept }
                throw failure
            }
            let decision = decide(after: failure, from: node)
            switch decision {
            case .fail:
                if case .connectionLost = failure { resolver.refreshSoon(after: map.generation) }
                return try giveUp()
            case .redirect(let endpoint):
                redirects += 1
                guard redirects <= maxRedirects else { return try giveUp() }
                Counter(label: "baedal_redis_cluster_redirects_total", dimensions: [("kind", "moved")]).increment()
                resolver.refreshSoon(after: map.generation)
                hop = .redirected(endpoint)
            case .ask(let endpoint) where asking != nil:
                redirects += 1
                guard redirects <= maxRedirects else { return try giveUp() }
                Counter(label: "baedal_redis_cluster_redirects_total", dimensions: [("kind", "ask")]).increment()
                hop = .asking(endpoint)
            case .ask, .wait:
                guard ContinuousClock.now + backoff < deadline else { return try giveUp() }
                if case .wait(refresh: true) = decision { _ = try? await resolver.refresh(after: map.generation) }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(1))
                hop = .map
            }
        }
    }

    private enum Decision {
        case redirect(RedisEndpoint)
        case ask(RedisEndpoint)
        case wait(refresh: Bool)
        case fail
    }

    private func decide(after failure: RedisError, from node: RedisEndpoint?) -> Decision {
        switch failure {
        case .routing(let routing, _):
            switch routing {
            case .moved:
                return node.flatMap { routing.target(answeredBy: $0) }.map(Decision.redirect) ?? .wait(refresh: true)
            case .ask:
                return node.flatMap { routing.target(answeredBy: $0) }.map(Decision.ask) ?? .wait(refresh: false)
            case .tryAgain:
                return .wait(refresh: false)
            case .clusterDown, .unblocked:
                return .wait(refresh: true)
            }
        case .notPrimary, .connectionFailed:
            // LOADING, READONLY, MASTERDOWN; a node that does not answer: the map may have changed.
            return .wait(refresh: true)
        default:
            return .fail
        }
    }

    /// Routing (and a node not ready as a primary): the command did not run; it may go again.
    static func retriable(_ error: RedisError?) -> Bool {
        guard let error else { return false }
        if case .notPrimary = error { return true }
        return error.isRouting
    }

    // MARK: Helpers

    /// Each node's batch concurrently (one round trip each); outcomes in the batches' order.
    private func send(_ batches: [(node: RedisEndpoint, commands: [RedisCommand])]) async throws -> [Result<[RESPValue], RedisError>] {
        func attempt(_ node: RedisEndpoint, _ commands: [RedisCommand]) async throws -> Result<[RESPValue], RedisError> {
            do {
                return .success(try await Self.exactly(commands.count, try executor(for: node).pipelineKeepingErrors(commands)))
            } catch let error as RedisError {
                return .failure(error)
            }
        }
        if batches.count == 1 { return [try await attempt(batches[0].node, batches[0].commands)] }
        return try await withThrowingTaskGroup(of: (Int, Result<[RESPValue], RedisError>).self) { group in
            for (index, batch) in batches.enumerated() {
                group.addTask { (index, try await attempt(batch.node, batch.commands)) }
            }
            var outcomes = [Result<[RESPValue], RedisError>](repeating: .failure(.closed), count: batches.count)
            for try await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
    }

    /// `ASKING` and the script (and its `WAIT`) adjacent on one connection of the importing node;
    /// `SCRIPT LOAD` there first when it does not know the script.
    private static func asking(_ script: RedisScript, keys: [String], arguments: RedisCommand, replication: Replication?,
                               on node: any RedisExecutor) async throws -> (reply: RESPValue, replicas: Int) {
        func attempt(_ sha: String) async throws -> [RESPValue] {
            var commands = [RedisCommand("ASKING"), script.command(sha: sha, keys: keys, arguments: arguments)]
            if let replication { commands.append(replication.wait) }
            return try await exactly(commands.count, node.pipelineKeepingErrors(commands))
        }
        var replies: [RESPValue] = []
        if let sha = script.loadedSHA { replies = try await attempt(sha) }
        if replies.isEmpty || RedisScript.isNoScript(replies[1]) {
            replies = try await attempt(try script.loaded(by: try await node.send(script.loadCommand)))
        }
        if let error = replies[0].serverError ?? replies[1].serverError { throw error }
        return (replies[1], replication == nil ? 0 : replies[2].int ?? 0)
    }

    /// The replies, when there are as many as commands were sent (a node executor's promise).
    private static func exactly(_ count: Int, _ replies: [RESPValue]) throws(RedisError) -> [RESPValue] {
        guard replies.count == count else { throw .unexpectedReply(expected: "\(count) replies", got: "\(replies.count)") }
        return replies
    }

    private static func keyTexts(_ command: RedisCommand) -> [String] {
        if case .keys(let keys) = ClusterKeys.keys(of: command) { return keys.map { String(decoding: $0, as: UTF8.self) } }
        return []
    }
}
