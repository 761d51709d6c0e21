import ArgumentParser
import Backbone
import Contract
import Operations

/// `baedalctl rebuild dashboards|views`: recomputes the projector's keys from the streams with
/// the projector's own code, partition by partition, into scratch keys; compares them with the
/// live ones, and with `--apply` puts them in place (`ProjectionRebuild`).
struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Recompute the dashboards or the customers' views from the streams and compare them with the live ones.",
        discussion: """
        Without --apply nothing live changes: the result is compared with what the projector built, and the exit status is 0 \
        when they are equal, 1 when they differ. With --apply the rebuilt keys replace the live ones in one step per partition; \
        stop the projector first (systemctl stop 'baedal-worker@projector*'), or events it handles meanwhile are lost from the \
        result. With BAEDAL_PARTITIONS above 1 every partition is rebuilt from its own streams into its own keys (orders per \
        minute are then one hash per hour and partition, as the projector keeps them).
        """
    )

    @Argument(help: "dashboards or views")
    var target: ProjectionRebuild.Target

    @Flag(help: "replace the live keys with the rebuilt ones")
    var apply = false

    func run() async throws {
        try await Deployment.with { deployment in
            let rebuild = ProjectionRebuild(keySpace: deployment.keySpace, redis: deployment.redis, target: target)
            let name = target.rawValue
            let outcome = try await rebuild.run(apply: apply) { outcome in
                Self.progress("rebuild \(name): \(outcome.read)/\(outcome.total) entries read")
            }
            Self.progress("rebuild \(name): \(outcome.read)/\(outcome.total) entries read, \(outcome.malformed) malformed skipped (the projector dead-letters them)\n")
            let over = deployment.keySpace.partitions > 1 ? " over \(deployment.keySpace.partitions) partitions" : ""
            if apply {
                print("applied: \(outcome.keys) keys rebuilt\(over), \(outcome.differing.count) of them had differed from the live ones")
            } else if outcome.differing.isEmpty {
                print("equal: the \(outcome.keys) rebuilt keys\(over) match the live \(name)")
            } else {
                print("differ: \(outcome.differing.count) of \(outcome.keys) keys\(over) differ from the rebuilt ones:")
                for key in outcome.differing.prefix(20) { print("  \(key)") }
                throw ExitCode(1)
            }
        }
    }

    static func progress(_ line: String) {
        FileHandleStandardError.write("\r" + line)
    }
}

extension ProjectionRebuild.Target: ExpressibleByArgument {}
