import Logging
import Tracing

/// Tracing for a Baedal process: `bootstrap` reads the standard `OTEL_*` variables once at start
/// and, when they name an endpoint, installs `OTLPTracer` as the process's tracer and returns the
/// exporter to run as a service (first in the service group: it stops last and posts what the
/// others ended). Without an endpoint it installs nothing.
public enum Telemetry {
    /// What `bootstrap` reads (`--help`).
    public static let settings: [(name: String, defaultValue: String, summary: String)] = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "none", "send traces over OTLP/HTTP (protobuf) to this http:// URL + /v1/traces; unset: no traces"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "none", "the traces URL itself (overrides the above)"),
        ("OTEL_SERVICE_NAME", "the executable", "the service name of this process's spans"),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on", "always_on, always_off, traceidratio or parentbased_* of those"),
        ("OTEL_TRACES_SAMPLER_ARG", "1", "the ratio of traceidratio samplers"),
        ("OTEL_RESOURCE_ATTRIBUTES", "none", "key=value,… added to every span's resource"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "none", "key=value,… headers on every post (also _TRACES_HEADERS); OTEL_EXPORTER_OTLP_TIMEOUT (ms, 10000)"),
        ("OTEL_BSP_SCHEDULE_DELAY", "5000", "ms between posts; OTEL_BSP_MAX_QUEUE_SIZE (2048: beyond it spans are dropped), OTEL_BSP_MAX_EXPORT_BATCH_SIZE (512), OTEL_BSP_EXPORT_TIMEOUT (30000 ms a round)"),
    ]

    public static func bootstrap(_ variables: [String: String], service: String, attributes: [(String, String)] = [],
                                 logger: Logger) throws(TracingSettings.Invalid) -> SpanExporter? {
        guard let settings = try TracingSettings.from(variables, service: service, attributes: attributes) else { return nil }
        let exporter = SpanExporter(settings: settings, logger: logger)
        InstrumentationSystem.bootstrap(OTLPTracer(sampler: settings.sampler, exporter: exporter))
        logger.info("tracing: spans go to the OTLP/HTTP endpoint", metadata: [
            "endpoint": "\(settings.endpoint)", "service": "\(settings.serviceName)", "sampler": "\(settings.sampler)",
        ])
        return exporter
    }

    /// Log metadata for the active span: `trace_id` and `span_id` (nothing outside a span).
    public static let logMetadata = Logger.MetadataProvider {
        guard let trace = InstrumentationContext.current?.traceContext else { return [:] }
        return ["trace_id": .string(trace.traceID.hex), "span_id": .string(trace.spanID.hex)]
    }
}
