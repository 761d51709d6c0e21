import ArgumentParser
import Backbone

/// `baedalctl`: the operator's tool.
@main
struct Baedalctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baedalctl",
        abstract: "Inspect and repair a Baedal deployment: streams, groups, dead letters, trimming, tokens, the console, projections.",
        discussion: "Settings come from the same BAEDAL_* environment variables as the daemons (BAEDAL_REDIS_URL, BAEDAL_PREFIX, BAEDAL_JWT_SECRET).",
        subcommands: [StatusCommand.self, PendingCommand.self, DeadCommand.self, TrimCommand.self, TokenCommand.self, ConsoleCommand.self, RebuildCommand.self, SeedCommand.self]
    )
}
