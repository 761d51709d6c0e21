import Autoscaling
import Contract
import JSON
import Operations
import Policies
import Redis

/// What `baedalctl status` gathered, as a table or as JSON.
struct StatusReport {
    let keySpace: KeySpace
    let topology: RedisTopology?
    let layout: ClusterLayout?
    let flags: Int
    let streams: [PartitionedInspector.Stream]
    /// Each policy's backlog, by partition.
    let backlogs: [[String: Backlog]]
    let views: [String: AutoscalerView]
    let deadlines: DeadlineCounts
    let now: Int64

    var totals: [StreamInspector.Stream] { streams.map(\.total) }

    /// Each policy's backlog summed over the partitions, in the catalogue's order.
    var policies: [(name: String, backlog: Backlog)] {
        PolicyCatalog.names.map { name in (name, backlogs.reduce(Backlog.empty) { $0 + ($1[name] ?? .empty) }) }
    }

    /// A partition's slot (its tag's) when keys are tagged, and the node serving it on a cluster.
    func placement(_ k: Int) -> (slot: Int?, node: String?) {
        guard keySpace.tagged else { return (nil, nil) }
        let slot = ClusterLayout.slot(of: keySpace.keys(ofPartition: k)).value
        return (slot, layout?.nodes.first { $0.partitions.contains(k) }?.primary)
    }

    // MARK: Table

    func lines(partitions: Bool, sentinel: Bool) -> [String] {
        var lines: [String] = []
        if let topology { lines += StatusCommand.printTopology(topology, sentinel: sentinel) }
        if let layout {
            let replicas = layout.nodes.reduce(0) { $0 + $1.replicas.count }
            lines.append("redis cluster: \(layout.nodes.count) primaries, \(replicas) replicas" + (layout.unservedSlots > 0 ? ", \(layout.unservedSlots) slots served by no primary" : ""))
            for node in layout.nodes {
                let served = node.partitions.isEmpty ? "no partition" : "partition\(node.partitions.count == 1 ? "" : "s") \(node.partitions.map(String.init).joined(separator: ","))"
                lines.append("  primary \(pad(node.primary, 21)) \(pad(node.health ?? "", 7)) slots \(ClusterLayout.ranges(node.slots)) (\(node.slotCount)); \(served)")
                for replica in node.replicas { lines.append("    replica \(pad(replica.endpoint, 21)) \(replica.health ?? "")") }
            }
            if !layout.unserved.isEmpty { lines.append("  NOT SERVED now: partition\(layout.unserved.count == 1 ? "" : "s") \(layout.unserved.map(String.init).joined(separator: ","))") }
        }
        if keySpace.partitions > 1 {
            lines.append("partitions \(keySpace.partitions) (keys \(keySpace.keys(ofPartition: 0).base) … \(keySpace.keys(ofPartition: keySpace.partitions - 1).base)): "
                + (partitions ? "totals, then each partition" : "totals; --partitions for each"))
        }
        lines += Self.streamLines(totals, indent: "")
        let dead = streams.first { $0.name == "dead" }?.total.length ?? 0
        lines.append(dead == 0 ? "dead letters: none" : "dead letters: \(dead) — baedalctl dead list")
        if flags > 0 {
            let where_ = keySpace.partitions == 1 ? keySpace.keys(ofPartition: 0).flags : "\(keySpace.prefix):{k}:flags of each partition k"
            lines.append("flagged for an operator: \(flags) — redis-cli XRANGE \(where_) - +")
        }
        lines.append(deadlines.line(now: now))
        lines.append("instances")
        for line in StatusCommand.instances(totals, views: views, now: now) { lines.append("  \(line)") }
        lines.append("backlogs" + (keySpace.partitions > 1 ? " (summed over \(keySpace.partitions) partitions)" : ""))
        for (name, backlog) in policies {
            lines.append("  \(pad(name, 20)) backlog \(pad(String(backlog.total), 8)) = lag \(backlog.lag) + pending \(backlog.pending)")
        }
        guard partitions else { return lines }
        for k in 0..<keySpace.partitions {
            let (slot, node) = placement(k)
            lines.append("partition \(k)" + (slot.map { "  slot \($0)" } ?? "") + (node.map { " on \($0)" } ?? ""))
            let backlog = PolicyCatalog.names.map { "\($0) \(backlogs[k][$0]?.total ?? 0)" }.joined(separator: ", ")
            lines.append("  backlog: \(backlog)")
            lines += Self.streamLines(streams.map { $0.partitions[k] }, indent: "  ")
        }
        return lines
    }

    static func streamLines(_ streams: [StreamInspector.Stream], indent: String) -> [String] {
        var lines: [String] = []
        for stream in streams {
            lines.append("\(indent)\(pad(stream.key, 34)) length \(stream.length)\(stream.lastId.map { "  last \($0)" } ?? "")")
            for group in stream.groups {
                let lag = group.lag.map(String.init) ?? "?"
                lines.append("\(indent)  group \(pad(group.name, 20)) lag \(pad(lag, 8)) pending \(pad(String(group.pending), 7)) consumers \(group.consumers.count)")
                for consumer in group.consumers {
                    lines.append("\(indent)    \(pad(consumer.name, 30)) pending \(pad(String(consumer.pending), 7)) idle \(humanDuration(milliseconds: consumer.idleMilliseconds))")
                }
            }
        }
        return lines
    }

    // MARK: JSON

    /// `{"redis":{…},"partitions":N,"flags":n,"streams":[totals],"policies":[{"policy","lag","pending","backlog"}],
    /// "perPartition"?:[{"partition","slot"?,"node"?,"streams":[…],"policies":[…]}]}`; on a cluster
    /// `redis` is `{"cluster":true,"nodes":[{"primary","health"?,"slots":"0-5460","slotCount","partitions":[…],
    /// "replicas":[{"endpoint","health"?}]}],"unservedSlots"}`.
    func json(partitions: Bool) -> String {
        var json = JSONWriter()
        json.object { json in
            json.key("redis")
            if let topology { Self.write(topology, into: &json) }
            if let layout { Self.write(layout, into: &json) }
            if topology == nil && layout == nil { json.raw("null") }
            json.field("partitions", keySpace.partitions)
            json.field("flags", flags)
            json.key("deadlines")
            json.object { json in
                json.field("waiting", deadlines.waiting)
                json.field("due", deadlines.due)
                json.field("latenessMs", deadlines.lateness(now: now))
                json.field("openPickupFlags", deadlines.openPickupFlags)
            }
            json.key("streams")
            json.raw(StatusCommand.streamsJSON(totals))
            json.key("policies")
            Self.write(policies, into: &json)
            guard partitions else { return }
            json.key("perPartition")
            json.array(Array(0..<keySpace.partitions)) { json, k in
                json.object { json in
                    let (slot, node) = placement(k)
                    json.field("partition", k)
                    if let slot { json.field("slot", slot) }
                    if let node { json.field("node", node) }
                    json.key("streams")
                    json.raw(StatusCommand.streamsJSON(streams.map { $0.partitions[k] }))
                    json.key("policies")
                    Self.write(PolicyCatalog.names.map { ($0, backlogs[k][$0] ?? .empty) }, into: &json)
                }
            }
        }
        return json.text
    }

    static func write(_ policies: [(name: String, backlog: Backlog)], into json: inout JSONWriter) {
        json.array(policies) { json, policy in
            json.object { json in
                json.field("policy", policy.name)
                json.field("lag", policy.backlog.lag)
                json.field("pending", policy.backlog.pending)
                json.field("backlog", policy.backlog.total)
            }
        }
    }

    static func write(_ topology: RedisTopology, into json: inout JSONWriter) {
        json.object { json in
            json.field("primary", topology.primary)
            json.key("replicas")
            json.array(topology.replicas) { json, replica in
                json.object { json in
                    json.field("endpoint", replica.endpoint)
                    json.field("state", replica.state)
                    if let lag = replica.lagSeconds { json.field("lagSeconds", lag) }
                    if let behind = replica.behindBytes { json.field("behindBytes", behind) }
                }
            }
            json.key("sentinels")
            json.array(topology.sentinels) { json, view in
                json.object { json in
                    json.field("endpoint", view.endpoint)
                    if let primary = view.primary { json.field("primary", primary) }
                }
            }
            if !topology.sentinels.isEmpty { json.key("sentinelsAgree"); json.raw(topology.sentinelsAgree ? "true" : "false") }
        }
    }

    static func write(_ layout: ClusterLayout, into json: inout JSONWriter) {
        json.object { json in
            json.key("cluster")
            json.raw("true")
            json.key("nodes")
            json.array(layout.nodes) { json, node in
                json.object { json in
                    json.field("primary", node.primary)
                    if let health = node.health { json.field("health", health) }
                    json.field("slots", ClusterLayout.ranges(node.slots))
                    json.field("slotCount", node.slotCount)
                    json.key("partitions")
                    json.raw("[" + node.partitions.map(String.init).joined(separator: ",") + "]")
                    json.key("replicas")
                    json.array(node.replicas) { json, replica in
                        json.object { json in
                            json.field("endpoint", replica.endpoint)
                            if let health = replica.health { json.field("health", health) }
                        }
                    }
                }
            }
            json.field("unservedSlots", layout.unservedSlots)
        }
    }
}
