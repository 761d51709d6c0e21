import Daemon
import Foundation
import Testing
import TestSupport

/// Every executable's command line, as a user meets it: `--help` says what it does and every
/// environment variable it reads, `--version` is the one version, a bogus flag is one line and 64.
@Suite("Command lines of every executable", .serialized)
struct CommandLineTests {
    static let executables = ["baedal-api", "baedal-payment", "baedal-worker", "baedalctl", "baedal-autoscaler", "baedal-bench"]

    /// Variables a `--help` must name, beyond the backbone's (`BAEDAL_REDIS_URL`, `BAEDAL_PREFIX`).
    static let own: [String: [String]] = [
        "baedal-api": ["BAEDAL_API_PORT", "BAEDAL_API_HOST", "BAEDAL_JWT_SECRET", "BAEDAL_PAYMENT_URL", "BAEDAL_HTTP_SHUTDOWN_GRACE_MS",
                       "BAEDAL_ACCESS_LOG", "BAEDAL_LOG_LEVEL", "BAEDAL_LOG_FORMAT", "BAEDAL_MIN_REPLICAS"],
        "baedal-payment": ["BAEDAL_PAYMENT_PORT", "BAEDAL_PAYMENT_LATENCY_MS", "BAEDAL_PAYMENT_DECLINE_ABOVE", "BAEDAL_HTTP_REQUEST_TIMEOUT_MS",
                           "BAEDAL_ACCESS_LOG", "BAEDAL_LOG_LEVEL"],
        "baedal-worker": ["BAEDAL_CONSUMER", "BAEDAL_CLAIM_IDLE_MS", "BAEDAL_MAX_DELIVERIES", "BAEDAL_RETRY_FIRST_MS", "BAEDAL_RETRY_MAX_MS",
                          "BAEDAL_METRICS_PORT", "BAEDAL_PAYMENT_URL", "BAEDAL_NOTIFY_WEBHOOK", "BAEDAL_LOG_LEVEL"],
        "baedalctl": ["BAEDAL_JWT_SECRET", "BAEDAL_API_PORT"],
        "baedal-autoscaler": ["BAEDAL_LOG_LEVEL"],
        "baedal-bench": ["BENCH_TOKEN"],
    ]

    @Test(arguments: executables)
    func helpSaysWhatItDoesAndEveryVariableItReadsWithItsDefault(_ executable: String) async throws {
        let help = try await CommandLineRun(executable, ["--help"])
        #expect(help.status == 0, "\(help)")
        #expect(help.standardError.isEmpty, "\(help)")
        #expect(help.standardOutput.contains("USAGE: \(executable)"), "\(help.standardOutput)")
        for variable in ["BAEDAL_REDIS_URL", "BAEDAL_PREFIX"] + Self.own[executable, default: []] {
            #expect(help.standardOutput.contains(variable), "\(executable) --help names \(variable)")
        }
        #expect(help.standardOutput.contains("BAEDAL_REDIS_URL (default: redis://127.0.0.1:6379)"), "\(help.standardOutput)")
    }

    @Test(arguments: executables)
    func versionIsTheOneVersion(_ executable: String) async throws {
        let version = try await CommandLineRun(executable, ["--version"])
        #expect(version.status == 0, "\(version)")
        #expect(version.standardOutput == BaedalVersion.current + "\n", "\(version)")
        #expect(version.standardError.isEmpty, "\(version)")
    }

    @Test(arguments: executables)
    func aBogusFlagIsOneLineOnStderrAndExit64(_ executable: String) async throws {
        // With whatever else it needs, so that the flag is the one thing wrong.
        let needed = ["baedal-worker": ["projector"], "baedal-autoscaler": ["--launcher", "process", "--policy", "projector:1:2"]]
        let arguments = needed[executable, default: []] + ["--bogus-flag"]
        let bogus = try await CommandLineRun(executable, arguments, seconds: 15)
        #expect(bogus.status == 64, "\(bogus)")
        #expect(bogus.standardOutput.isEmpty, "\(bogus)")
        let lines = bogus.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "exactly one line: \(bogus)")
        #expect(lines.first?.hasPrefix("\(executable): ") == true && lines.first?.contains("--bogus-flag") == true, "\(bogus)")
    }

    @Test func aSubcommandsHelpAndUsageErrorFollowTheSameRules() async throws {
        let help = try await CommandLineRun("baedalctl", ["dead", "--help"])
        #expect(help.status == 0 && help.standardOutput.contains("USAGE: baedalctl dead"), "\(help)")
        let missing = try await CommandLineRun("baedal-bench", ["fill"])
        #expect(missing.status == 64, "\(missing)")
        #expect(missing.standardError.split(separator: "\n").count == 1 && missing.standardError.contains("<N>"), "\(missing)")
        let notANumber = try await CommandLineRun("baedal-bench", ["fill", "0"])
        #expect(notANumber.status == 64 && notANumber.standardError.contains("positive"), "\(notANumber)")
        let nothing = try await CommandLineRun("baedal-bench", [])
        #expect(nothing.status == 64 && nothing.standardError.split(separator: "\n").count == 1, "\(nothing)")
        let missingPolicy = try await CommandLineRun("baedal-worker", [])
        #expect(missingPolicy.status == 64 && missingPolicy.standardError.contains("POLICY"), "\(missingPolicy)")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsAreGeneratedForEveryShell(_ shell: String) async throws {
        for executable in Self.executables {
            let script = try await CommandLineRun(executable, ["--generate-completion-script", shell])
            #expect(script.status == 0, "\(script)")
            #expect(script.standardOutput.contains(executable) && script.standardOutput.contains("version"), "\(executable) \(shell)")
        }
        // The worker's completion offers the policies.
        let worker = try await CommandLineRun("baedal-worker", ["--generate-completion-script", shell])
        #expect(worker.standardOutput.contains("delivery-dispatch"), "\(worker)")
    }

    /// No variable read in Sources/ is missing from every `--help`: a new setting without its
    /// help line fails here.
    @Test func everyVariableTheSourcesReadIsInSomeHelp() async throws {
        var helps = ""
        for executable in Self.executables {
            helps += try await CommandLineRun(executable, ["--help"]).standardOutput
        }
        let sources = packageRoot().appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        let pattern = try Regex(#""(BAEDAL_[A-Z_]+)""#)
        var read = Set<String>()
        for file in files {
            for match in try String(contentsOf: file, encoding: .utf8).matches(of: pattern) {
                read.insert(String(match.output[1].substring ?? ""))
            }
        }
        #expect(read.count > 25, "\(read)")
        for variable in read.sorted() {
            #expect(helps.contains(variable), "\(variable) is read in Sources/ but no --help names it")
        }
    }
}

/// A program run to its end with stdout and stderr apart (no BAEDAL_* from the test's environment).
struct CommandLineRun: CustomStringConvertible {
    var status: Int32
    var standardOutput: String
    var standardError: String

    init(_ executable: String, _ arguments: [String], seconds: Double = 30) async throws {
        let process = Process()
        process.executableURL = binaryDirectory().appendingPathComponent(executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BAEDAL_") }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = Task.detached { String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        let stderr = Task.detached { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        status = process.terminationStatus
        standardOutput = await stdout.value
        standardError = await stderr.value
    }

    var description: String { "exit \(status), stdout: \(standardOutput.prefix(2_000)) stderr: \(standardError.prefix(2_000))" }
}
