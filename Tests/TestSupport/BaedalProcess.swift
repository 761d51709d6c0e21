import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One of the project's real executables, started as its own process. Its stderr goes to a
/// file the test can read (and print when something goes wrong).
public final class BaedalProcess: @unchecked Sendable {
    public let name: String
    public let logFile: URL
    private let process = Process()

    /// Runs one of the project's executables (`executablePath: false`) or any program by its path.
    public init(_ executable: String, _ arguments: [String], environment: [String: String], executablePath: Bool = false) throws {
        name = "\(executable) \(arguments.joined(separator: " "))"
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = executablePath ? URL(fileURLWithPath: executable) : binaryDirectory().appendingPathComponent(executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BAEDAL_") }
        merged.merge(environment) { $1 }
        process.environment = merged
        let log = try FileHandle(forWritingTo: logFile)
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logFile)
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end; its exit status, or nil if it is still running at the deadline.
    public func waitForExit(seconds: Double = 15) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    public var terminationReason: Process.TerminationReason { process.terminationReason }

    /// What the process has written to stderr and stdout so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }
}

/// Where `swift build` put the executables: beside the test bundle, or `BAEDAL_BIN_DIR`.
public func binaryDirectory() -> URL {
    if let directory = ProcessInfo.processInfo.environment["BAEDAL_BIN_DIR"], !directory.isEmpty {
        return URL(fileURLWithPath: directory)
    }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // On Linux the test binary is `.build/<triple>/debug/<Package>PackageTests.xctest`.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("baedal-worker").path),
          directory.pathComponents.count > 1 {
        directory.deleteLastPathComponent()
    }
    return directory
}

/// The package's root directory (where Package.swift is), for tests that read its files.
public func packageRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// The tests' Python, in the virtual environment `make test` prepares (.build/venv).
public func venvPython() throws -> String {
    let path = packageRoot().appendingPathComponent(".build/venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestFailure("\(path) is missing: run make test (scripts/install-deps.sh creates it)")
    }
    return path
}

/// A program run to its end: its exit status and everything it printed.
public func runProgram(_ executable: String, _ arguments: [String], environment: [String: String] = [:], seconds: Double = 60) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = Task.detached { String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (process.terminationStatus, await output.value)
}
