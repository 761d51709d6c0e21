import ArgumentParser
import Backbone
import Contract
import Daemon

/// `baedalctl`: the operator's tool.
@main
struct Baedalctl: AsyncParsableCommand {
    /// Every variable baedalctl reads, for its `--help`.
    static let settings = BaedalEnvironment.backboneSettings + [
        .init("BAEDAL_JWT_SECRET", default: "none", "token, console: the HS256 key the API checks tokens with, at least 32 bytes"),
        .init("BAEDAL_API_HOST, BAEDAL_API_PORT", default: "127.0.0.1, 8080", "console: where baedal-api listens (unless --url)"),
    ]

    static let configuration = CommandConfiguration(
        commandName: "baedalctl",
        abstract: "Inspect and repair a Baedal deployment: streams, groups, dead letters, trimming, tokens, the console, projections.",
        discussion: """
        Settings come from the same environment variables as the daemons. Exit 3: Redis cannot be reached; \
        exit 64: a usage error (one line on stderr).

        \(settings.helpSection())
        """,
        version: BaedalVersion.current,
        subcommands: [StatusCommand.self, PendingCommand.self, DeadCommand.self, TrimCommand.self, TokenCommand.self, ConsoleCommand.self, RebuildCommand.self, SeedCommand.self, TailCommand.self, AclCommand.self]
    )

    static func main() async { await runCommandLine() }
}
