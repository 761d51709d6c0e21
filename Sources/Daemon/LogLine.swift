import JSON
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Baedal's log handler: one line per event on stderr, either text
/// (`time level label : key=value … message`) or, for log pipelines, one JSON object
/// (`{"time","level","label","message", …metadata}`: `orderId`, `policy`, `stream`, `id`,
/// `consumer` and the rest as top-level members). Every value is escaped either way, so a newline
/// in an owner's region or a token's `sub` can never start a forged line: in text `\n`, `\r`,
/// `\t`, `\\` and other control characters are written as escapes; in JSON by its own rules.
public struct LogLine: LogHandler {
    public enum Format: String, Sendable {
        case text, json
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: Format

    public init(label: String, level: Logger.Level, format: Format = .text, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var all = self.metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit { all.merge(explicit) { $1 } }
        if format == .json {
            Self.write(Self.json(time: Self.timestamp(), level: level, label: label, message: message.description, metadata: all))
            return
        }
        var text = Self.timestamp()
        text += " "
        text += level.rawValue
        text += " "
        Self.escape(label, into: &text)
        text += " :"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            text += " "
            Self.escape(key, into: &text)
            text += "="
            Self.escape("\(value)", into: &text)
        }
        text += " "
        Self.escape(message.description, into: &text)
        text += "\n"
        Self.write(text)
    }

    /// One JSON object and a newline. Metadata whose name is one of the four fixed members is
    /// written as `meta.<name>`.
    static func json(time: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = JSONWriter.object { json in
            json.field("time", time)
            json.field("level", level.rawValue)
            json.field("label", label)
            json.field("message", message)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                json.field(["time", "level", "label", "message"].contains(key) ? "meta.\(key)" : key, "\(value)")
            }
        }
        line += "\n"
        return line
    }

    /// The format for `BAEDAL_LOG_FORMAT` (`text` or `json`); without it, text on a terminal and
    /// JSON otherwise (a file, the journal, a pipe).
    public static func format(_ setting: String?, standardErrorIsTerminal: Bool) -> Format? {
        guard let setting, !setting.isEmpty else { return standardErrorIsTerminal ? .text : .json }
        return Format(rawValue: setting)
    }

    /// Appends `value` with every control character (and the backslash) escaped.
    public static func escape(_ value: String, into text: inout String) {
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") || $0 == 0xC2 || $0 == 0xE2 }) {
            text += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\\": text += "\\\\"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
                text += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                text.unicodeScalars.append(scalar)
            }
        }
    }

    /// `2026-11-22T05:19:00.123Z`
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = Int(now.tv_nsec) / 1_000_000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(fraction)Z"
    }

    private static func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }
}
