import ArgumentParser
import Autoscaling
import Backbone
import JSON
import Operations
import Policies
import Redis

/// `baedalctl status [--json]`: every stream, its groups, their lag and pending, the consumers
/// and their idle time, the dead letters, and per policy the instances that run and what the
/// autoscaler wants: one screen where redis-cli needs ten commands.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every stream: length, groups with lag and pending, consumers and their idle time, dead letters."
    )

    @Flag(help: "print JSON instead of a table")
    var json = false

    func run() throws {
        let deployment = try Deployment.connect()
        defer { deployment.connection.close() }
        let streams = try StreamInspector(keys: deployment.keys).streams(on: deployment.connection)
        if json {
            print(Self.json(streams))
            return
        }
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
        let dead = streams.first { $0.key == deployment.keys.dead }?.length ?? 0
        print(dead == 0 ? "dead letters: none" : "dead letters: \(dead) — baedalctl dead list")
        let views = try Self.autoscalerViews(deployment)
        print("instances")
        for line in Self.instances(streams, views: views, now: epochMilliseconds()) { print("  \(line)") }
    }

    /// A consumer that read within this time counts as seen (a live instance reads at least every
    /// `XREADGROUP … BLOCK`, 2 s; one that stopped a moment ago is still seen).
    static let activeWithinMilliseconds = 30_000

    /// The autoscaler's view per policy (`<prefix>:autoscaler`); values it cannot read are left out.
    static func autoscalerViews(_ deployment: Deployment) throws -> [String: AutoscalerView] {
        var views: [String: AutoscalerView] = [:]
        for (field, value) in try deployment.connection.send(RedisCommand("HGETALL", deployment.keys.key("autoscaler"))).pairs {
            guard let policy = field.string, let json = value.string, let view = try? AutoscalerView(json: json) else { continue }
            views[policy] = view
        }
        return views
    }

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
            let age = humanDuration(milliseconds: Int(max(0, now - view.at)))
            guard view.isCurrent(now: now) else {
                return "\(pad(daemon.name, 20)) \(consumers); autoscaler not running (last seen \(age) ago: running \(view.running), wanted \(view.wanted))"
            }
            return "\(pad(daemon.name, 20)) running \(view.running), autoscaler wants \(view.wanted) (min \(view.min), max \(view.max), "
                + "backlog \(view.backlog) = lag \(view.lag) + pending \(view.pending), \(view.lagPerInstance) per instance, \(age) ago); \(consumers)"
        }
    }

    static func json(_ streams: [StreamInspector.Stream]) -> String {
        var json = JSONWriter()
        json.array(streams) { json, stream in
            json.object { json in
                json.field("stream", stream.key)
                json.field("length", stream.length)
                if let last = stream.lastId { json.field("lastId", last) }
                json.key("groups")
                json.array(stream.groups) { json, group in
                    json.object { json in
                        json.field("name", group.name)
                        if let lag = group.lag { json.field("lag", lag) }
                        json.field("pending", group.pending)
                        json.field("lastDeliveredId", group.lastDeliveredId)
                        json.key("consumers")
                        json.array(group.consumers) { json, consumer in
                            json.object { json in
                                json.field("name", consumer.name)
                                json.field("pending", consumer.pending)
                                json.field("idleMs", consumer.idleMilliseconds)
                            }
                        }
                    }
                }
            }
        }
        return json.text
    }
}
