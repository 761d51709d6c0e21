import ArgumentParser
import Backbone
import Operations
import Policies

/// `baedalctl trim [--apply]`: removes only what every group has been given and acknowledged.
struct TrimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trim",
        abstract: "Trim the event streams below what every group has delivered and acknowledged (a dry run unless --apply).",
        discussion: "A stream is left alone while one of the policies that read it has never joined it. The dead-letter stream is never trimmed: replay or drop its entries."
    )

    @Flag(help: "remove the entries (without it, only say what would go)")
    var apply = false

    func run() throws {
        let deployment = try Deployment.connect()
        defer { deployment.connection.close() }
        let trim = SafeTrim(keys: deployment.keys)
        var total = 0
        for stream in StreamName.allCases {
            let plan = try trim.plan(deployment.keys.stream(stream), expected: PolicyCatalog.readers[stream] ?? [], on: deployment.connection)
            if plan.removable == 0 {
                print("\(pad(plan.stream, 34)) keep all (\(plan.reason ?? "nothing to trim"))")
                continue
            }
            if apply {
                let removed = try trim.apply(plan, on: deployment.connection)
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
