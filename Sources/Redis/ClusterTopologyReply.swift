/// Reads the slot map out of `CLUSTER SHARDS` (Redis 7) or `CLUSTER SLOTS` (older). Nothing in a
/// reply is trusted: a slot outside 0 ... 16383, a range that runs backwards, a port outside
/// 1 ... 65535, a shape other than the documented one, or two primaries for one slot refuse the
/// whole reply (`unexpectedReply`), so the resolver asks another node instead of routing by it.
enum ClusterTopologyReply {
    /// `CLUSTER SHARDS`: `[{slots: [start, end, …], nodes: [{id, port, ip, endpoint, role, health, …}, …]}, …]`
    /// as flat name/value arrays. A shard's primary is its node with role `master` (a failed old
    /// primary shows up as a master without slots, which the map leaves out). `answeredBy` is the
    /// node asked: its host stands in for an endpoint the reply leaves empty or unknown (`?`).
    /// Over TLS a node's `tls-port` is the one to use (a node may serve both; with `port 0` it
    /// reports only that one).
    static func shards(_ reply: RESPValue, answeredBy node: RedisEndpoint, tls: Bool = false) throws(RedisError) -> [ClusterSlotMap.Shard] {
        guard let shards = reply.array else { throw bad("an array of shards", reply) }
        var result: [ClusterSlotMap.Shard] = []
        for shardReply in shards {
            guard case .array = shardReply else { throw bad("a shard", shardReply) }
            let fields = shardReply.fields
            guard let slotValues = fields["slots"]?.array, slotValues.count % 2 == 0 else { throw bad("a shard's slot ranges", shardReply) }
            var ranges: [ClosedRange<HashSlot>] = []
            for index in stride(from: 0, to: slotValues.count, by: 2) {
                ranges.append(try range(slotValues[index], slotValues[index + 1]))
            }
            guard let nodeReplies = fields["nodes"]?.array else { throw bad("a shard's nodes", shardReply) }
            var primary: ClusterSlotMap.Node?
            var replicas: [ClusterSlotMap.Node] = []
            for nodeReply in nodeReplies {
                guard case .array = nodeReply else { throw bad("a node", nodeReply) }
                let nodeFields = nodeReply.fields
                let ports = tls ? [nodeFields["tls-port"], nodeFields["port"]] : [nodeFields["port"], nodeFields["tls-port"]]
                guard let portValue = ports.lazy.compactMap({ $0 }).first else { throw bad("a node's port", nodeReply) }
                let host = nodeFields["endpoint"]?.string.flatMap(usableHost) ?? nodeFields["ip"]?.string.flatMap(usableHost) ?? node.host
                let endpoint = RedisEndpoint(host: host, port: try port(portValue))
                let health = nodeFields["health"]?.string
                let member = ClusterSlotMap.Node(id: nodeFields["id"]?.string ?? "", endpoint: endpoint, health: health)
                if nodeFields["role"]?.string == "master" {
                    // Two masters in one shard: the one that is not failed leads.
                    if primary == nil || primary?.health == "fail" { primary = member }
                } else {
                    replicas.append(member)
                }
            }
            guard let primary else {
                if ranges.isEmpty { continue }  // replicas of nobody yet: serve nothing
                throw bad("a primary for the slots \(ranges.map(describe).joined(separator: ","))", shardReply)
            }
            result.append(ClusterSlotMap.Shard(primary: primary, replicas: replicas, slots: ranges))
        }
        return result
    }

    /// `CLUSTER SLOTS`: `[[start, end, [host, port, id, …], [replica host, port, id, …]…], …]`,
    /// one entry per range; ranges of one primary are gathered into its shard.
    static func slots(_ reply: RESPValue, answeredBy node: RedisEndpoint) throws(RedisError) -> [ClusterSlotMap.Shard] {
        guard let entries = reply.array else { throw bad("an array of slot ranges", reply) }
        var shards: [ClusterSlotMap.Shard] = []
        for entry in entries {
            guard let parts = entry.array, parts.count >= 3 else { throw bad("a slot range with its primary", entry) }
            let slots = try range(parts[0], parts[1])
            var nodes: [ClusterSlotMap.Node] = []
            for nodeReply in parts[2...] {
                guard let fields = nodeReply.array, fields.count >= 2 else { throw bad("a node's host and port", nodeReply) }
                let host = fields[0].string.flatMap(usableHost) ?? node.host
                let id = fields.count > 2 ? fields[2].string ?? "" : ""
                nodes.append(ClusterSlotMap.Node(id: id, endpoint: RedisEndpoint(host: host, port: try port(fields[1]))))
            }
            let primary = nodes[0]
            if let index = shards.firstIndex(where: { $0.primary.endpoint == primary.endpoint }) {
                shards[index].slots.append(slots)
            } else {
                shards.append(ClusterSlotMap.Shard(primary: primary, replicas: Array(nodes.dropFirst()), slots: [slots]))
            }
        }
        return shards
    }

    private static func range(_ start: RESPValue, _ end: RESPValue) throws(RedisError) -> ClosedRange<HashSlot> {
        guard let first = start.int.flatMap(HashSlot.init), let last = end.int.flatMap(HashSlot.init), first <= last else {
            throw .unexpectedReply(expected: "a slot range within 0...16383", got: "\(start)...\(end)")
        }
        return first...last
    }

    private static func port(_ value: RESPValue) throws(RedisError) -> Int {
        guard let port = value.int, (1...65_535).contains(port) else { throw .unexpectedReply(expected: "a port within 1...65535", got: "\(value)") }
        return port
    }

    /// A host a client can connect to: not empty, not `?` (unknown), no spaces or controls.
    private static func usableHost(_ host: String) -> String? {
        guard !host.isEmpty, host != "?", host.utf8.count <= 255, !host.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else { return nil }
        return host
    }

    private static func describe(_ range: ClosedRange<HashSlot>) -> String { "\(range.lowerBound)-\(range.upperBound)" }

    private static func bad(_ expected: String, _ got: RESPValue) -> RedisError {
        let text = "\(got)"
        return .unexpectedReply(expected: expected, got: text.count > 200 ? String(text.prefix(200)) + "…" : text)
    }
}
