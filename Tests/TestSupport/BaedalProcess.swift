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
    /// With `listeningSocket`, the process gets that socket as descriptor 3 with `LISTEN_FDS=1`
    /// and `LISTEN_PID` set to its own pid, exactly as systemd passes a `.socket` unit's socket.
    public init(_ executable: String, _ arguments: [String], environment: [String: String], executablePath: Bool = false,
                listeningSocket: Int32? = nil) throws {
        name = "\(executable) \(arguments.joined(separator: " "))"
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let binary = executablePath ? URL(fileURLWithPath: executable) : binaryDirectory().appendingPathComponent(executable)
        if let listeningSocket {
            // The socket arrives as stdin; the shell moves it to descriptor 3, learns its own pid
            // (which exec keeps) and becomes the executable.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", #"exec 3<&0 0</dev/null; LISTEN_FDS=1 LISTEN_PID=$$; export LISTEN_FDS LISTEN_PID; exec "$0" "$@""#,
                                 binary.path] + arguments
            process.standardInput = FileHandle(fileDescriptor: listeningSocket, closeOnDealloc: false)
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        // Logs in text, which the tests read, unless a test asks for JSON.
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BAEDAL_") }.merging(["BAEDAL_LOG_FORMAT": "text"]) { $1 }
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

    /// Whether this process holds a socket listening on TCP `port` (from /proc/net/tcp{,6} and its
    /// descriptors), so that a test knows an answer on that port came from this process and not
    /// from another one that took the port first.
    public func listens(on port: Int) -> Bool {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = procFile(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                guard fields.count > 9, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                      Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        guard !inodes.isEmpty, let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return false }
        return descriptors.contains { descriptor in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(descriptor)"),
                  target.hasPrefix("socket:[") else { return false }
            return inodes.contains(String(target.dropFirst(8).dropLast()))
        }
    }

    /// What the process has written to stderr and stdout so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }
}

/// The whole of a /proc file, read until `read` returns 0. Foundation's `String(contentsOfFile:)`
/// takes a short read for the end, and /proc files come a page at a time: of /proc/net/tcp it
/// returned the first 27 lines, so with many sockets open (tests running beside each other) a
/// daemon's listening socket was not in what it read and the daemon never counted as ready.
public func procFile(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
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
