import Foundation
import TestSupport

/// The tests' OTLP/HTTP collector: `Tests/otlp/receiver.py` decodes what the processes post with
/// the official protobuf definitions (opentelemetry-proto) and writes one JSON object per span.
final class OTLPReceiver: @unchecked Sendable {
    struct Span {
        var service: String
        var traceId: String
        var spanId: String
        var parentSpanId: String
        var name: String
        var kind: String
        var attributes: [String: Any]
        var links: [(traceId: String, spanId: String)]
        var status: Int
        var flags: Int
        var resource: [String: Any]

        func string(_ key: String) -> String? { attributes[key] as? String }
    }

    let output: URL
    let process: BaedalProcess
    let port: Int

    init() async throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-otlp-\(UUID().uuidString.prefix(8)).jsonl")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let script = packageRoot().appendingPathComponent("Tests/otlp/receiver.py").path
        let process = try BaedalProcess(try venvPython(), [script, output.path], environment: [:], executablePath: true)
        self.process = process
        var port: Int?
        _ = await eventually(seconds: 20) {
            port = process.log.split(separator: "\n").first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return port != nil
        }
        guard let port else { throw TestFailure("the OTLP receiver did not start: \(process.log)") }
        self.port = port
    }

    deinit { try? FileManager.default.removeItem(at: output) }

    /// `OTEL_EXPORTER_OTLP_ENDPOINT` and a short export delay, for every process.
    var environment: [String: String] {
        ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(port)", "OTEL_BSP_SCHEDULE_DELAY": "100"]
    }

    /// Every line received so far; requests that did not decode as `{"error": …}`.
    func lines() -> [[String: Any]] {
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    var errors: [String] { lines().compactMap { $0["error"] as? String } }

    func spans() -> [Span] {
        lines().compactMap { line in
            guard let traceId = line["traceId"] as? String, let spanId = line["spanId"] as? String else { return nil }
            return Span(service: line["service"] as? String ?? "", traceId: traceId, spanId: spanId,
                        parentSpanId: line["parentSpanId"] as? String ?? "", name: line["name"] as? String ?? "",
                        kind: line["kind"] as? String ?? "", attributes: line["attributes"] as? [String: Any] ?? [:],
                        links: (line["links"] as? [[String: Any]] ?? []).map { ($0["traceId"] as? String ?? "", $0["spanId"] as? String ?? "") },
                        status: line["status"] as? Int ?? 0, flags: line["flags"] as? Int ?? 0, resource: line["resource"] as? [String: Any] ?? [:])
        }
    }
}

/// A `traceparent` value's parts, when it is valid (version 00, lower-case hex, non-zero ids).
func traceparentParts(_ value: String?) -> (traceId: String, spanId: String, sampled: Bool)? {
    guard let value else { return nil }
    let parts = value.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    let hex = CharacterSet(charactersIn: "0123456789abcdef")
    guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
          parts.allSatisfy({ $0.unicodeScalars.allSatisfy(hex.contains) }),
          parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16) else { return nil }
    return (parts[1], parts[2], parts[3] == "01")
}
