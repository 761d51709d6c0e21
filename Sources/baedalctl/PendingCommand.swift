import ArgumentParser
import Backbone
import Contract
import Numbers
import Operations

/// `baedalctl pending GROUP`: what a group's consumers hold, for how long, delivered how often, in
/// every partition (each stream key names its partition).
struct PendingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "List the entries a group has been given and not acknowledged yet."
    )

    @Argument(help: "the group: a policy name such as projector")
    var group: String

    @Option(help: "at most this many per stream")
    var count = 50

    func run() async throws {
        let pending = try await Deployment.with { deployment in
            try await PartitionedInspector(keySpace: deployment.keySpace, redis: deployment.redis).pending(group: group, count: count)
        }
        guard let pending else {
            FileHandleStandardError.write("baedalctl: no stream has a group '\(group)'\n")
            throw ExitCode(1)
        }
        let entries = pending.flatMap(\.entries)
        if entries.isEmpty {
            say("group \(group): nothing pending")
            return
        }
        let now = epochMilliseconds()
        for entry in entries {
            var line = "\(pad(entry.stream, 28)) \(pad(entry.id, 18)) \(pad(entry.type ?? "(trimmed)", 18)) order \(pad(entry.orderId ?? "-", 28)) consumer \(pad(entry.consumer, 24)) idle \(pad(humanDuration(milliseconds: entry.idleMilliseconds), 7)) deliveries \(pad(String(entry.deliveries), 3))"
            if let due = entry.nextDue {
                line += due > now ? " next in \(humanDuration(milliseconds: Int(clamping: due.clampedSubtracting(now))))" : " due now"
                if let error = entry.lastError, !error.isEmpty { line += " after: \(error)" }
            }
            say(line)
        }
    }
}
