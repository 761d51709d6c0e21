import Daemon
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
    public var jwtSecret: String
    public var paymentTimeoutMilliseconds: Int
    public var breakerFailures: Int
    public var breakerOpenMilliseconds: Int
    public var http: HTTPLimits
    /// `BAEDAL_ACCESS_LOG`: a log line per request (on unless `off`).
    public var accessLog: Bool

    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) throws(BaedalEnvironment.Invalid) {
        environment = try BaedalEnvironment(variables)
        host = variables["BAEDAL_API_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = try BaedalEnvironment.positive("BAEDAL_API_PORT", variables, default: 8080, max: 65_535)
        paymentURL = variables["BAEDAL_PAYMENT_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8081"
        guard paymentURL.hasPrefix("http://") || paymentURL.hasPrefix("https://") else {
            throw .init(description: "BAEDAL_PAYMENT_URL must be an http:// or https:// URL, got '\(paymentURL)'")
        }
        // From the environment, or from systemd's credential `jwt-secret` (LoadCredential=).
        let secret = SystemdCredentials.setting("BAEDAL_JWT_SECRET", credential: "jwt-secret", variables)
        if let problem = TokenAuthority.problem(withSecret: secret) {
            throw .init(description: problem + " (make run sets a development one; under systemd, the credential jwt-secret)")
        }
        jwtSecret = secret!
        paymentTimeoutMilliseconds = try BaedalEnvironment.positive("BAEDAL_PAYMENT_TIMEOUT_MS", variables, default: 2_000)
        breakerFailures = try BaedalEnvironment.positive("BAEDAL_BREAKER_FAILURES", variables, default: 5)
        breakerOpenMilliseconds = try BaedalEnvironment.positive("BAEDAL_BREAKER_OPEN_MS", variables, default: 5_000)
        http = try HTTPLimits(variables)
        accessLog = AccessLog<BaedalContext>.isOn(variables)
    }
}
