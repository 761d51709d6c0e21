import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// How every Baedal executable treats its command line (swift-argument-parser's, with one change):
/// `--help`, `--version` and `--generate-completion-script SHELL` print to stdout and exit 0; an
/// argument it cannot use is one line on stderr (`NAME: message`, no usage screen) and exit 64
/// (EX_USAGE). Settings keep their own rule: one line and exit 2 (`ProcessSupport.fail`).
extension ParsableCommand {
    /// The command line parsed as this root command or one of its subcommands; exits as above when
    /// there is nothing to run.
    public static func parseCommandLineAsRoot(_ arguments: [String]? = nil) -> any ParsableCommand {
        do {
            return try parseAsRoot(arguments)
        } catch {
            exitOnCommandLineError(error)
        }
    }

    /// The command line parsed as this command (one without subcommands); exits as above when there
    /// is nothing to run.
    public static func parseCommandLine(_ arguments: [String]? = nil) -> Self {
        do {
            return try parse(arguments)
        } catch {
            exitOnCommandLineError(error)
        }
    }

    /// Help, version and completion scripts to stdout and exit 0; anything else one line on stderr
    /// with argument-parser's exit code for it (64 for a usage error).
    public static func exitOnCommandLineError(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        if code.isSuccess { exit(withError: error) }
        let message = message(for: error).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard !message.isEmpty else { Glibc.exit(code.rawValue) }  // `ExitCode(3)`: said already
        let name = configuration.commandName ?? CommandLine.arguments.first?.split(separator: "/").last.map(String.init) ?? "baedal"
        ProcessSupport.fail("\(name): \(message)", status: code.rawValue)
    }
}

extension AsyncParsableCommand {
    /// `main()` of an `@main` command: parses as `parseCommandLineAsRoot`, runs it, and exits the same way
    /// when its `run()` throws.
    public static func runCommandLine() async {
        var command = parseCommandLineAsRoot()
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exitOnCommandLineError(error)
        }
    }
}
