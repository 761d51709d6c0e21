import ArgumentParser
import Backbone
import Contract
import Numbers
import Operations
import Policies
import Redis

/// `baedalctl trim [--apply]`: removes only what every group has been given and acknowledged.
struct TrimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trim",
        abstract: "Trim the event streams below what every group has delivered and acknowledged (a dry run unless --apply).",
        discussion: "A stream is left alone while one of the policies that read it has never joined it. With BAEDAL_PARTITIONS above 1 each partition's stream is planned and trimmed on its own (its groups are its own). The dead-letter stream is never trimmed: replay or drop its entries."
    )

    @Flag(help: "remove the entries (without it, only say what would go)")
    var apply = false

    func run() async throws {
        try await Deployment.with { deployment in try await trim(deployment) }
    }

    private func trim(_ deployment: Deployment) async throws {
        var total = 0
        for keys in deployment.keySpace.all {
            let trim = SafeTrim(keys: keys, redis: deployment.redis)
            for stream in StreamName.allCases {
                let plan = try await trim.plan(keys.stream(stream), expected: PolicyCatalog.readers[stream] ?? [])
                if plan.removable == 0 {
                    print("\(pad(plan.stream, 34)) keep all (\(plan.reason ?? "nothing to trim"))")
                    continue
                }
                if apply {
                    let removed = try await trim.apply(plan)
                    total = total.clampedAdding(removed)
                    print("\(pad(plan.stream, 34)) removed \(removed) entries below \(plan.below!)")
                } else {
                    total = total.clampedAdding(plan.removable)
                    print("\(pad(plan.stream, 34)) would remove \(plan.removable) entries below \(plan.below!)")
                }
            }
        }
        print(apply ? "trimmed \(total) entries" : "dry run: \(total) entries could go; run with --apply to remove them")
    }
}
