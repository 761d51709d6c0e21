import HTTPLite

/// What the standard OpenTelemetry variables ask of this process's traces. No endpoint (or
/// `OTEL_TRACES_EXPORTER=none`, or `OTEL_SDK_DISABLED=true`): no settings, no tracer, and
/// tracing costs what swift-distributed-tracing's no-op tracer costs.
public struct TracingSettings: Sendable {
    /// The OTLP/HTTP traces URL (`…/v1/traces`).
    public var endpoint: String
    public var headers: [(String, String)]
    public var timeout: Duration
    public var sampler: Sampler
    /// The resource's attributes: `service.name` first.
    public var resource: [(String, String)]
    public var delay: Duration
    public var maxQueue: Int
    public var maxBatch: Int
    /// How long one round of posts may take (`OTEL_BSP_EXPORT_TIMEOUT`), the last one at shutdown too.
    public var exportTimeout: Duration = .seconds(30)

    public var serviceName: String { resource.first { $0.0 == "service.name" }?.1 ?? "" }

    /// A setting that cannot be used, with what was given.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var variable: String
        public var problem: String
        public var description: String { "\(variable) \(problem)" }
    }

    /// Reads the variables. `service` is the executable's name (`OTEL_SERVICE_NAME` overrides it),
    /// `attributes` what the process adds (the worker's policy).
    public static func from(_ variables: [String: String], service: String, attributes: [(String, String)] = []) throws(Invalid) -> TracingSettings? {
        func value(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { return nil }
        if let exporter = value("OTEL_TRACES_EXPORTER") {
            // A comma-separated list, case-insensitive (the specification's); only otlp is spoken.
            let names = Set(exporter.lowercased().split(separator: ",").map { String($0).trimmed })
            if names == ["none"] { return nil }
            guard names.contains("otlp") else {
                throw Invalid(variable: "OTEL_TRACES_EXPORTER", problem: "must be otlp or none, got '\(exporter.prefix(40))'")
            }
        }
        let endpoint: String
        if let traces = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            endpoint = traces
        } else if let base = value("OTEL_EXPORTER_OTLP_ENDPOINT") {
            endpoint = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
        } else {
            return nil
        }
        let endpointVariable = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT"
        if endpoint.hasPrefix("https://") {
            throw Invalid(variable: endpointVariable, problem: "is https://, which the processes' lean HTTP client does not speak: send to a collector on the host over http:// (e.g. an OpenTelemetry Collector's otlphttp receiver on 127.0.0.1:4318) and let it forward over TLS")
        }
        guard HTTPLite.split(endpoint) != nil else {
            throw Invalid(variable: endpointVariable, problem: "must be an http://host:port/ URL, got '\(endpoint.prefix(80))'")
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let protocolName = value(name) {
                guard protocolName.lowercased() == "http/protobuf" else {
                    throw Invalid(variable: name, problem: "must be http/protobuf (the only protocol the processes speak), got '\(protocolName.prefix(40))'")
                }
                break
            }
        }
        // The traces' own headers win over the general ones of the same name (case-insensitive).
        var headers: [(String, String)] = []
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            guard let text = value(name) else { continue }
            for (key, header) in try pairs(text, variable: name) {
                headers.removeAll { $0.0.lowercased() == key.lowercased() }
                headers.append((key, header))
            }
        }
        let timeoutVariable = value("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") != nil ? "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" : "OTEL_EXPORTER_OTLP_TIMEOUT"
        let timeout = try milliseconds(value(timeoutVariable), variable: timeoutVariable, default: 10_000)
        let sampler = try sampler(value("OTEL_TRACES_SAMPLER"), argument: value("OTEL_TRACES_SAMPLER_ARG"))
        var resource: [(String, String)] = [("service.name", value("OTEL_SERVICE_NAME") ?? service)]
        for (key, text) in try value("OTEL_RESOURCE_ATTRIBUTES").map({ text throws(Invalid) in try pairs(text, variable: "OTEL_RESOURCE_ATTRIBUTES") }) ?? []
        where key != "service.name" || value("OTEL_SERVICE_NAME") == nil {
            if key == "service.name" { resource[0].1 = text } else { resource.append((key, text)) }
        }
        resource += attributes
        resource += [("telemetry.sdk.name", "baedal"), ("telemetry.sdk.language", "swift")]
        let delay = try milliseconds(value("OTEL_BSP_SCHEDULE_DELAY"), variable: "OTEL_BSP_SCHEDULE_DELAY", default: 5_000)
        let exportTimeout = try milliseconds(value("OTEL_BSP_EXPORT_TIMEOUT"), variable: "OTEL_BSP_EXPORT_TIMEOUT", default: 30_000)
        let maxQueue = try count(value("OTEL_BSP_MAX_QUEUE_SIZE"), variable: "OTEL_BSP_MAX_QUEUE_SIZE", default: 2_048)
        let maxBatch = try count(value("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), variable: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default: 512)
        return TracingSettings(endpoint: endpoint, headers: headers, timeout: timeout, sampler: sampler, resource: resource,
                               delay: delay, maxQueue: maxQueue, maxBatch: min(maxBatch, maxQueue), exportTimeout: exportTimeout)
    }

    static func sampler(_ name: String?, argument: String?) throws(Invalid) -> Sampler {
        func ratio() throws(Invalid) -> Double {
            guard let argument else { return 1 }
            guard let ratio = Double(argument), ratio >= 0, ratio <= 1 else {
                throw Invalid(variable: "OTEL_TRACES_SAMPLER_ARG", problem: "must be a ratio from 0 to 1, got '\(argument.prefix(40))'")
            }
            return ratio
        }
        switch (name ?? "parentbased_always_on").lowercased() {
        case "always_on": return Sampler(root: .alwaysOn, parentBased: false)
        case "always_off": return Sampler(root: .alwaysOff, parentBased: false)
        case "traceidratio": return Sampler(root: .ratio(try ratio()), parentBased: false)
        case "parentbased_always_on": return Sampler(root: .alwaysOn)
        case "parentbased_always_off": return Sampler(root: .alwaysOff)
        case "parentbased_traceidratio": return Sampler(root: .ratio(try ratio()))
        case let other:
            throw Invalid(variable: "OTEL_TRACES_SAMPLER", problem: "must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio, got '\(other.prefix(40))'")
        }
    }

    /// `key=value,key=value`, values percent-decoded (the specification's W3C baggage shape).
    static func pairs(_ text: String, variable: String) throws(Invalid) -> [(String, String)] {
        var result: [(String, String)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            let key = parts.first.map { String($0).trimmed } ?? ""
            guard parts.count == 2, !key.isEmpty, let decoded = percentDecoded(String(parts[1]).trimmed) else {
                throw Invalid(variable: variable, problem: "must be key=value pairs separated by commas, got '\(item.prefix(60))'")
            }
            result.append((key, decoded))
        }
        return result
    }

    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = TraceContext.hex([high | 0x20, low | 0x20][...]) else { return nil }
                bytes.append(UInt8(value))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func milliseconds(_ text: String?, variable: String, default fallback: Int) throws(Invalid) -> Duration {
        guard let text else { return .milliseconds(fallback) }
        guard let value = Int(text), value > 0, value <= 3_600_000 else {
            throw Invalid(variable: variable, problem: "must be milliseconds from 1 to 3600000, got '\(text.prefix(40))'")
        }
        return .milliseconds(value)
    }

    static func count(_ text: String?, variable: String, default fallback: Int) throws(Invalid) -> Int {
        guard let text else { return fallback }
        guard let value = Int(text), value > 0, value <= 1_000_000 else {
            throw Invalid(variable: variable, problem: "must be a count from 1 to 1000000, got '\(text.prefix(40))'")
        }
        return value
    }
}

extension String {
    fileprivate var trimmed: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
