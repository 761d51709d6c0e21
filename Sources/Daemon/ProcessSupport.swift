import Logging
import ServiceLifecycle
import Telemetry

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// What every Baedal executable does the same way at start.
public enum ProcessSupport {
    /// swift-log to stderr at `BAEDAL_LOG_LEVEL` (default `info`), one escaped line per event, as
    /// text or JSON (`BAEDAL_LOG_FORMAT`; default text on a terminal, JSON otherwise). A setting
    /// that cannot be used is a one-line error and exit 2.
    public static func bootstrapLogging(label: String) -> Logger {
        let levelText = getenv("BAEDAL_LOG_LEVEL").map { String(cString: $0) } ?? "info"
        guard let level = Logger.Level(rawValue: levelText.isEmpty ? "info" : levelText) else {
            fail("\(label): BAEDAL_LOG_LEVEL must be trace, debug, info, notice, warning, error or critical, got '\(levelText.prefix(40))'")
        }
        let formatText = getenv("BAEDAL_LOG_FORMAT").map { String(cString: $0) }
        guard let format = LogLine.format(formatText, standardErrorIsTerminal: isatty(2) == 1) else {
            fail("\(label): BAEDAL_LOG_FORMAT must be text or json, got '\(formatText?.prefix(40) ?? "")'")
        }
        // Inside a span, every line carries its `trace_id` and `span_id`.
        LoggingSystem.bootstrap { label in LogLine(label: label, level: level, format: format, metadataProvider: Telemetry.logMetadata) }
        return Logger(label: label)
    }

    /// Traces from the standard `OTEL_*` variables (`Telemetry`): the exporter to run first in the
    /// process's service group, or none without an endpoint. A setting that cannot be used is a
    /// one-line error and exit 2.
    public static func bootstrapTracing(_ variables: [String: String] = ProcessInfo.processInfo.environment, service: String, attributes: [(String, String)] = [],
                                        logger: Logger) -> [any Service] {
        do {
            return try Telemetry.bootstrap(variables, service: service, attributes: attributes, logger: logger).map { [$0] } ?? []
        } catch {
            fail("\(service): \(error.description)")
        }
    }

    /// What `bootstrapTracing` reads (`--help`).
    public static let tracingSettings: [EnvironmentSetting] = Telemetry.settings.map { EnvironmentSetting($0.name, default: $0.defaultValue, $0.summary) }

    /// What `bootstrapLogging` reads (`--help`).
    public static let loggingSettings: [EnvironmentSetting] = [
        .init("BAEDAL_LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical (logs go to stderr)"),
        .init("BAEDAL_LOG_FORMAT", default: "text on a terminal, else json", "text, or json: one object per line"),
    ]

    /// The settings every process reads (`BaedalEnvironment`), or one line on stderr naming
    /// `program` and exit status 2.
    public static func environment(of program: String, _ variables: [String: String]) -> BaedalEnvironment {
        do {
            return try BaedalEnvironment(variables)
        } catch {
            fail("\(program): \(error.description)")
        }
    }

    /// A setting that cannot be used: one line on stderr, exit status 2 (or `status`: 64 for an argument).
    public static func fail(_ message: String, status: Int32 = 2) -> Never {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(status)
    }
}
