import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// What every Baedal executable does the same way at start.
public enum ProcessSupport {
    /// swift-log to stderr at `BAEDAL_LOG_LEVEL` (default `info`), one escaped line per event.
    public static func bootstrapLogging(label: String) -> Logger {
        let level = Logger.Level(rawValue: getenv("BAEDAL_LOG_LEVEL").map { String(cString: $0) } ?? "info") ?? .info
        LoggingSystem.bootstrap { label in LogLine(label: label, level: level) }
        return Logger(label: label)
    }

    /// The settings every process reads (`BaedalEnvironment`), or one line on stderr naming
    /// `program` and exit status 2.
    public static func environment(of program: String, _ variables: [String: String]) -> BaedalEnvironment {
        do {
            return try BaedalEnvironment(variables)
        } catch {
            fail("\(program): \(error.description)")
        }
    }

    /// A setting or argument that cannot be used: one line on stderr, exit status 2.
    public static func fail(_ message: String) -> Never {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
}
