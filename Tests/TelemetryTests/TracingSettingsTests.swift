import Testing
@testable import Telemetry

/// The standard OTEL_* variables, read once at start: clear errors, sane defaults.
@Suite("Tracing settings")
struct TracingSettingsTests {
    func settings(_ variables: [String: String]) throws -> TracingSettings? {
        try TracingSettings.from(variables, service: "baedal-worker", attributes: [("baedal.policy", "projector")])
    }

    @Test func noEndpointMeansNoTracing() throws {
        #expect(try settings([:]) == nil)
        #expect(try settings(["OTEL_EXPORTER_OTLP_ENDPOINT": ""]) == nil)
        #expect(try settings(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"]) == nil)
        #expect(try settings(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"]) == nil)
    }

    @Test func theEndpointsAndTheDefaults() throws {
        let base = try #require(try settings(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"]))
        #expect(base.endpoint == "http://collector:4318/v1/traces")
        #expect(base.sampler == Sampler(root: .alwaysOn, parentBased: true))
        #expect(base.delay == .milliseconds(5_000) && base.maxQueue == 2_048 && base.maxBatch == 512 && base.timeout == .seconds(10))
        #expect(base.serviceName == "baedal-worker")
        #expect(base.resource.contains { $0 == ("baedal.policy", "projector") })
        let own = try #require(try settings(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:2/traces"]))
        #expect(own.endpoint == "http://b:2/traces")
    }

    @Test func serviceNameSamplerAndResourceFromTheirVariables() throws {
        let read = try #require(try settings([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SERVICE_NAME": "worker-a",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod, host.name=web%2D1,service.name=ignored",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20x",
        ]))
        #expect(read.serviceName == "worker-a")
        #expect(read.resource.contains { $0 == ("deployment.environment", "prod") })
        #expect(read.resource.contains { $0 == ("host.name", "web-1") })
        #expect(!read.resource.contains { $0.1 == "ignored" })
        #expect(read.sampler == Sampler(root: .ratio(0.01), parentBased: true))
        #expect(read.headers.contains { $0 == ("authorization", "Bearer x") })
    }

    @Test func namesAreCaseInsensitiveListsAreListsAndTheTracesOwnHeadersWin() throws {
        let read = try #require(try settings([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "OTLP, console",
            "OTEL_TRACES_SAMPLER": "ParentBased_TraceIdRatio", "OTEL_TRACES_SAMPLER_ARG": "0.5", "OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/Protobuf",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=general,x-tenant=a", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "authorization=traces",
            "OTEL_BSP_EXPORT_TIMEOUT": "1500",
        ]))
        #expect(read.sampler == Sampler(root: .ratio(0.5), parentBased: true))
        #expect(read.headers.filter { $0.0.lowercased() == "authorization" }.map(\.1) == ["traces"])
        #expect(read.headers.contains { $0 == ("x-tenant", "a") })
        #expect(read.exportTimeout == .milliseconds(1_500))
        #expect(try settings(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "None"]) == nil)
    }

    @Test func anErrorNamesTheVariableThatWasGiven() {
        #expect { try settings(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "soon"]) } throws: { error in
            (error as? TracingSettings.Invalid)?.variable == "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"
        }
    }

    @Test(arguments: [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
        ("OTEL_TRACES_EXPORTER", "jaeger"),
        ("OTEL_BSP_SCHEDULE_DELAY", "-1"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "lots"),
        ("OTEL_RESOURCE_ATTRIBUTES", "novalue"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "a=%zz"),
    ])
    func aSettingThatCannotBeUsedIsAnErrorNamingIt(_ variable: String, _ value: String) {
        var variables = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "traceidratio"]
        variables[variable] = value
        #expect { try settings(variables) } throws: { error in
            (error as? TracingSettings.Invalid)?.variable == variable
        }
    }
}
