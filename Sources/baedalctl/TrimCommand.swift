import ArgumentParser
import Backbone
import Contract
import Operations
import Policies
import Redis

/// `baedalctl trim [--apply]`: removes only what every group has been given and acknowledged.
struct TrimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trim",
        abstract: "Trim the event streams below what every group has delivered and acknowledged (a dry run unless --apply).",
        discussion: "A stream is left alone while one of the policies that read it has never joined it. The dead-letter stream is never trimmed: replay or drop its entries."
    )

    @Flag(help: "remove the entries (without it, only say what would go)")
    var apply = false

    func run() async throws {
        try await Deployment.withClient { deployment, redis in try await trim(deployment, redis) }
    }

    private func trim(_ deployment: Deployment, _ redis: RedisClient) async throws {
        let trim = SafeTrim(keys: deployment.keys, redis: redis)
        var total = 0
        for stream in StreamName.allCases {
            let plan = try await trim.plan(deployment.keys.stream(stream), expected: PolicyCatalog.readers[stream] ?? [])
            if plan.removable == 0 {
                print("\(pad(plan.stream, 34)) keep all (\(plan.reason ?? "nothing to trim"))")
                continue
            }
            if apply {
                let removed = try await trim.apply(plan)
                total += removed
                print("\(pad(plan.stream, 34)) removed \(removed) entries below \(plan.below!)")
            } else {
                total += plan.removable
                print("\(pad(plan.stream, 34)) would remove \(plan.removable) entries below \(plan.below!)")
            }
        }
        print(apply ? "trimmed \(total) entries" : "dry run: \(total) entries could go; run with --apply to remove them")
    }
}
