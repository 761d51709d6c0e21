import ArgumentParser
import Backbone

/// `baedalctl`: the operator's tool.
@main
struct Baedalctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baedalctl",
        abstract: "Inspect and repair a Baedal deployment: tokens, demo data, rebuilt projections.",
        discussion: "Settings come from the same BAEDAL_* environment variables as the daemons (BAEDAL_REDIS_URL, BAEDAL_PREFIX, BAEDAL_JWT_SECRET).",
        subcommands: [TokenCommand.self, SeedCommand.self, RebuildCommand.self]
    )
}
