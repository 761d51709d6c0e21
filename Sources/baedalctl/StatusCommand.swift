import ArgumentParser
import Backbone
import JSON
import Operations

/// `baedalctl status [--json]`: every stream, its groups, their lag and pending, the consumers
/// and their idle time, and the dead letters: one screen where redis-cli needs ten commands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every stream: length, groups with lag and pending, consumers and their idle time, dead letters."
    )

    @Flag(help: "print JSON instead of a table")
    var json = false

    func run() async throws {
        let (keys, streams) = try await Deployment.withClient { deployment, redis in
            (deployment.keys, try await StreamInspector(keys: deployment.keys, redis: redis).streams())
        }
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
        let dead = streams.first { $0.key == keys.dead }?.length ?? 0
        print(dead == 0 ? "dead letters: none" : "dead letters: \(dead) — baedalctl dead list")
    }

    static func json(_ streams: [StreamInspector.Stream]) -> String {
        var json = JSONWriter()
        json.array(streams) { json, stream in stream.write(into: &json) }
        return json.text
    }
}
