import ArgumentParser
import Autoscaler
import Autoscaling
import Backbone
import Contract
import JSON
import Numbers
import Operations
import Policies
import Redis

/// `baedalctl status [--partitions] [--json]`: Redis's topology (a primary with its replicas and
/// Sentinels, or a cluster's primaries, replicas, slots and the partitions each serves), every
/// stream summed over the partitions with its groups' lag and pending, the consumers and their
/// idle time, the dead letters, each policy's backlog, and per policy the instances that run and
/// what the autoscaler wants: one screen where redis-cli needs ten commands. `--partitions` adds
/// each partition's own streams and backlogs.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show Redis's topology (primary, replicas, Sentinels, or a cluster's nodes and slots) and every stream summed over the partitions: length, groups with lag and pending, consumers and their idle time, dead letters, each policy's backlog.",
        discussion: "With BAEDAL_PARTITIONS above 1 the streams and backlogs are totals over the partitions; --partitions shows each partition's too (and, on a cluster, its slot and node)."
    )

    @Flag(help: "print JSON instead of a table")
    var json = false

    @Flag(help: "also show each partition's streams and backlogs")
    var partitions = false

    func run() async throws {
        try await Deployment.with { deployment in try await show(deployment) }
    }

    private func show(_ deployment: Deployment) async throws {
        let keySpace = deployment.keySpace
        let redis = deployment.redis
        var topology: RedisTopology?
        var layout: ClusterLayout?
        if let cluster = redis as? ClusterExecutor {
            layout = ClusterLayout(map: try await cluster.slotMap(), keySpace: keySpace)
        } else {
            let connection = try RedisConnection(configuration: deployment.environment.redis)
            defer { connection.close() }
            topology = try RedisTopology.inspect(deployment.environment.redis, primary: connection)
        }
        let flags = try await redis.pipeline(keySpace.all.map { RedisCommand("XLEN", $0.flags) }).reduce(0) { $0.clampedAdding(max(0, $1.int ?? 0)) }
        let streams = try await PartitionedInspector(keySpace: keySpace, redis: redis).streams()
        let backlogs = try await BacklogReader(keySpace: keySpace, redis: redis).backlogsByPartition(of: PolicyCatalog.daemons, countLimit: 100_000)
        let views = try await AutoscalerReport(keys: deployment.keys, redis: redis).views()
        let now = epochMilliseconds()
        let deadlines = try await DeadlineCounts.read(keySpace, redis: redis, now: now)
        let report = StatusReport(keySpace: keySpace, topology: topology, layout: layout, flags: flags, streams: streams, backlogs: backlogs,
                                  views: views, deadlines: deadlines, now: now)
        if json {
            print(report.json(partitions: partitions))
            return
        }
        for line in report.lines(partitions: partitions, sentinel: deployment.environment.redis.sentinel != nil) { print(Output.printable(line)) }
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

    static func printTopology(_ topology: RedisTopology, sentinel: Bool) -> [String] {
        let agreement = sentinel
            ? " (named by \(topology.sentinels.filter { $0.primary == topology.primary }.count) of \(topology.sentinels.count) Sentinels\(topology.sentinelsAgree ? "" : ": they DISAGREE"))"
            : ""
        var lines = ["redis primary \(topology.primary)\(agreement)"]
        if topology.replicas.isEmpty { lines.append("  no replicas") }
        for replica in topology.replicas {
            lines.append("  replica \(pad(replica.endpoint, 21)) \(pad(replica.state, 8)) acked \(replica.lagSeconds.map { "\($0)s ago" } ?? "?")  behind \(replica.behindBytes.map { "\($0) bytes" } ?? "?")")
        }
        for view in topology.sentinels {
            lines.append("  sentinel \(pad(view.endpoint, 20)) names \(view.primary ?? "(no answer)")")
        }
        return lines
    }

    static func streamsJSON(_ streams: [StreamInspector.Stream]) -> String {
        var json = JSONWriter()
        json.array(streams) { json, stream in stream.write(into: &json) }
        return json.text
    }
}
