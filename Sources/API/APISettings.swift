import Daemon
import HTTPLite
import HTTPServer
import Identity

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `baedal-api`'s settings (the contract's environment table, plus tuning with defaults).
public struct APISettings: Sendable {
    public var environment: BaedalEnvironment
    public var host: String
    public var port: Int
    public var paymentURL: String
    /// Who may call: HS256 with `BAEDAL_JWT_SECRET`, an OpenID Connect provider's tokens, or both.
    public var identity: IdentityConfiguration
    public var paymentTimeoutMilliseconds: Int
    public var breakerFailures: Int
    public var breakerOpenMilliseconds: Int
    public var http: HTTPLimits
    /// `BAEDAL_ACCESS_LOG`: a log line per request (on unless `off`).
    public var accessLog: Bool
    /// `BAEDAL_TRACE_URL`: where the console links an entry's trace (`{traceId}` replaced).
    public var traceURL: String?

    /// Every variable `baedal-api` reads, for its `--help`: the backbone's, its own, every HTTP service's.
    public static let settings: [EnvironmentSetting] = BaedalEnvironment.backboneSettings + [
        .init("BAEDAL_API_HOST", default: "127.0.0.1", "the address to listen on"),
        .init("BAEDAL_API_PORT", default: "8080", "the port to listen on"),
        .init("BAEDAL_JWT_SECRET", default: "none; make run sets a development one", "HS256 key of the bearer tokens, at least 32 bytes; without it, the systemd credential jwt-secret ($CREDENTIALS_DIRECTORY/jwt-secret); optional when BAEDAL_JWKS_URL is set (without it, HS256 tokens are refused)"),
        .init("BAEDAL_JWKS_URL", default: "none", "the key set of an OpenID Connect provider (https://, http:// or file:PATH): RS256, ES256 and EdDSA tokens are verified against it, keys chosen by kid"),
        .init("BAEDAL_JWT_ISSUER", default: "none", "required with BAEDAL_JWKS_URL: the iss of the provider's tokens"),
        .init("BAEDAL_JWT_AUDIENCE", default: "none", "required with BAEDAL_JWKS_URL: this API's client id, which the aud of the provider's tokens must name"),
        .init("BAEDAL_JWT_ROLE_CLAIM", default: "role", "the claim of a provider's token that carries the role; a dotted path such as realm_access.roles may hold a list with exactly one of ours"),
        .init("BAEDAL_JWT_STORE_CLAIM", default: "store", "the claim (or dotted path) of a provider's token that carries an owner's store"),
        .init("BAEDAL_PAYMENT_URL", default: "http://127.0.0.1:8081", "the payment gateway (http://; put a local TLS proxy in front of an https:// one)"),
        .init("BAEDAL_PAYMENT_TIMEOUT_MS", default: "2000", "how long a charge may take at the gateway"),
        .init("BAEDAL_BREAKER_FAILURES", default: "5", "failed charges in a row that open the circuit to the gateway"),
        .init("BAEDAL_BREAKER_OPEN_MS", default: "5000", "how long the open circuit refuses charges before it tries one"),
        .init("BAEDAL_TRACE_URL", default: "none", "the console links each entry's trace there: an http(s):// URL with {traceId} in it, e.g. http://jaeger:16686/trace/{traceId}"),
    ] + HTTPDaemon.settings + ProcessSupport.tracingSettings

    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) throws(BaedalEnvironment.Invalid) {
        environment = try BaedalEnvironment(variables)
        host = variables["BAEDAL_API_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = try BaedalEnvironment.positive("BAEDAL_API_PORT", variables, default: 8080, max: 65_535)
        paymentURL = variables["BAEDAL_PAYMENT_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8081"
        guard HTTPLite.split(paymentURL) != nil else {
            throw .init(description: "BAEDAL_PAYMENT_URL must be an http:// URL (put a local TLS proxy in front of an https:// gateway), got '\(paymentURL)'")
        }
        // The secret from the environment, or from systemd's credential `jwt-secret` (LoadCredential=).
        do throws(IdentityConfiguration.Invalid) {
            identity = try IdentityConfiguration(
                secret: SystemdCredentials.setting("BAEDAL_JWT_SECRET", credential: "jwt-secret", variables), jwksURL: variables["BAEDAL_JWKS_URL"],
                issuer: variables["BAEDAL_JWT_ISSUER"], audience: variables["BAEDAL_JWT_AUDIENCE"],
                roleClaim: variables["BAEDAL_JWT_ROLE_CLAIM"], storeClaim: variables["BAEDAL_JWT_STORE_CLAIM"])
        } catch {
            let secret = error.setting == "BAEDAL_JWT_SECRET"
            throw .init(description: error.description + (secret ? " (make run sets a development one; under systemd, the credential jwt-secret; optional with BAEDAL_JWKS_URL)" : ""))
        }
        paymentTimeoutMilliseconds = try BaedalEnvironment.positive("BAEDAL_PAYMENT_TIMEOUT_MS", variables, default: 2_000)
        breakerFailures = try BaedalEnvironment.positive("BAEDAL_BREAKER_FAILURES", variables, default: 5)
        breakerOpenMilliseconds = try BaedalEnvironment.positive("BAEDAL_BREAKER_OPEN_MS", variables, default: 5_000)
        http = try HTTPLimits(variables)
        accessLog = AccessLog<BaedalContext>.isOn(variables)
        traceURL = variables["BAEDAL_TRACE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let traceURL, !(traceURL.hasPrefix("http://") || traceURL.hasPrefix("https://")) || !(traceURL.contains("{traceId}")) || traceURL.count > 2_000 {
            throw .init(description: "BAEDAL_TRACE_URL must be an http:// or https:// URL with {traceId} in it (e.g. http://jaeger:16686/trace/{traceId}), got '\(traceURL.prefix(80))'")
        }
    }
}
