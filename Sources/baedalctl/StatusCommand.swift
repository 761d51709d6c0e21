import ArgumentParser
import Autoscaling
import Backbone
import Contract
import JSON
import Numbers
import Operations
import Policies
import Redis

/// `baedalctl status [--json]`: every stream, its groups, their lag and pending, the consumers
/// and their idle time, the dead letters, and per policy the instances that run and what the
/// autoscaler wants: one screen where redis-cli needs ten commands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show Redis's topology (primary, replicas, Sentinels) and every stream: length, groups with lag and pending, consumers and their idle time, dead letters."
    )

    @Flag(help: "print JSON instead of a table")
    var json = false

    func run() async throws {
        let deployment = try Deployment.connect()  // exit 3 when Redis is unreachable
        let topology = try RedisTopology.inspect(deployment.environment.redis, primary: deployment.connection)
        let flags = try deployment.connection.send(RedisCommand("XLEN", deployment.keys.flags)).int ?? 0
        deployment.connection.close()
        let client = deployment.client()
        defer { client.close() }
        let keys = deployment.keys
        let streams = try await StreamInspector(keys: keys, redis: client).streams()
        if json {
            print(Self.json(streams, topology: topology, flags: flags))
            return
        }
        Self.printTopology(topology, sentinel: deployment.environment.redis.sentinel != nil)
        for stream in streams {
            print("\(pad(stream.key, 34)) length \(stream.length)\(stream.lastId.map { "  last \($0)" } ?? "")")
            for group in stream.groups {
                let lag = group.lag.map(String.init) ?? "?"
                print("  group \(pad(group.name, 20)) lag \(pad(lag, 8)) pending \(pad(String(group.pending), 7)) consumers \(group.consumers.count)")
                for consumer in group.consumers {
                    print("    \(pad(consumer.name, 30)) pending \(pad(String(consumer.pending), 7)) idle \(humanDuration(milliseconds: consumer.idleMilliseconds))")
                }
            }
        }
        let dead = streams.first { $0.key == keys.dead }?.length ?? 0
        print(dead == 0 ? "dead letters: none" : "dead letters: \(dead) — baedalctl dead list")
        if flags > 0 { print("flagged for an operator: \(flags) — redis-cli XRANGE \(keys.flags) - +") }
        let views = try await AutoscalerReport(keys: keys, redis: client).views()
        print("instances")
        for line in Self.instances(streams, views: views, now: epochMilliseconds()) { print("  \(line)") }
    }

    /// A consumer that read within this time counts as seen (a live instance reads at least every
    /// `XREADGROUP … BLOCK`, 2 s; one that stopped a moment ago is still seen).
    static let activeWithinMilliseconds = 30_000

    /// One line per policy: its active consumers and, when the autoscaler runs it, how many
    /// instances it runs and wants.
    static func instances(_ streams: [StreamInspector.Stream], views: [String: AutoscalerView], now: Int64) -> [String] {
        PolicyCatalog.daemons.map { daemon in
            var active = Set<String>()
            for stream in streams {
                for group in stream.groups where group.name == daemon.name {
                    for consumer in group.consumers where consumer.idleMilliseconds < activeWithinMilliseconds { active.insert(consumer.name) }
                }
            }
            let consumers = "\(active.count) consumer\(active.count == 1 ? "" : "s") seen in the last \(activeWithinMilliseconds / 1000) s"
            guard let view = views[daemon.name] else { return "\(pad(daemon.name, 20)) \(consumers), not autoscaled" }
            let age = humanDuration(milliseconds: Int(clamping: max(0, now.clampedSubtracting(view.at))))
            guard view.isCurrent(now: now) else {
                return "\(pad(daemon.name, 20)) \(consumers); autoscaler not running (last seen \(age) ago: running \(view.running), wanted \(view.wanted))"
            }
            return "\(pad(daemon.name, 20)) running \(view.running), autoscaler wants \(view.wanted) (min \(view.min), max \(view.max), "
                + "backlog \(view.backlog) = lag \(view.lag) + pending \(view.pending), \(view.lagPerInstance) per instance, \(age) ago); \(consumers)"
                + (view.failures > 0 ? "; FAILING: \(view.failures) instance\(view.failures == 1 ? "" : "s") ended on their own in a row (last: \(view.lastFailure ?? "?"))" : "")
        }
    }

    static func printTopology(_ topology: RedisTopology, sentinel: Bool) {
        let agreement = sentinel
            ? " (named by \(topology.sentinels.filter { $0.primary == topology.primary }.count) of \(topology.sentinels.count) Sentinels\(topology.sentinelsAgree ? "" : ": they DISAGREE"))"
            : ""
        print("redis primary \(topology.primary)\(agreement)")
        if topology.replicas.isEmpty { print("  no replicas") }
        for replica in topology.replicas {
            print("  replica \(pad(replica.endpoint, 21)) \(pad(replica.state, 8)) acked \(replica.lagSeconds.map { "\($0)s ago" } ?? "?")  behind \(replica.behindBytes.map { "\($0) bytes" } ?? "?")")
        }
        for view in topology.sentinels {
            print("  sentinel \(pad(view.endpoint, 20)) names \(view.primary ?? "(no answer)")")
        }
    }

    static func json(_ streams: [StreamInspector.Stream], topology: RedisTopology, flags: Int) -> String {
        var json = JSONWriter()
        json.object { json in
            json.key("redis")
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
            json.field("flags", flags)
            json.key("streams")
            json.raw(Self.streamsJSON(streams))
        }
        return json.text
    }

    static func streamsJSON(_ streams: [StreamInspector.Stream]) -> String {
        var json = JSONWriter()
        json.array(streams) { json, stream in stream.write(into: &json) }
        return json.text
    }
}
