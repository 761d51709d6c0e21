import Daemon
import HTTPServer

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `baedal-payment`'s settings: the port, and the stand-in's knobs for slowness and declines.
public struct PaymentGatewaySettings: Sendable {
    public var environment: BaedalEnvironment
    public var host: String
    public var port: Int
    /// Added latency per charge: a fixed number of milliseconds, or a uniform MIN…MAX range.
    public var latency: ClosedRange<Int>
    /// Amounts above this are declined.
    public var declineAbove: Int?
    public var http: HTTPLimits
    /// `BAEDAL_ACCESS_LOG`: a log line per request (on unless `off`).
    public var accessLog: Bool

    /// Every variable `baedal-payment` reads, for its `--help`: the backbone's, its own, every HTTP service's.
    public static let settings: [EnvironmentSetting] = BaedalEnvironment.backboneSettings + [
        .init("BAEDAL_PAYMENT_HOST", default: "127.0.0.1", "the address to listen on"),
        .init("BAEDAL_PAYMENT_PORT", default: "8081", "the port to listen on"),
        .init("BAEDAL_PAYMENT_LATENCY_MS", default: "0", "added latency per charge: N, or MIN-MAX for a uniform range (at most 600000)"),
        .init("BAEDAL_PAYMENT_DECLINE_ABOVE", default: "none", "decline amounts above this many won"),
    ] + HTTPDaemon.settings + ProcessSupport.tracingSettings

    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) throws(BaedalEnvironment.Invalid) {
        environment = try BaedalEnvironment(variables)
        host = variables["BAEDAL_PAYMENT_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = try BaedalEnvironment.positive("BAEDAL_PAYMENT_PORT", variables, default: 8081, max: 65_535)
        latency = try Self.latency(variables["BAEDAL_PAYMENT_LATENCY_MS"] ?? "0")
        http = try HTTPLimits(variables)
        accessLog = AccessLog<BaedalContext>.isOn(variables)
        if let text = variables["BAEDAL_PAYMENT_DECLINE_ABOVE"], !text.isEmpty {
            guard let limit = Int(text), limit >= 0 else {
                throw .init(description: "BAEDAL_PAYMENT_DECLINE_ABOVE must be a whole number of won, got '\(text)'")
            }
            declineAbove = limit
        }
    }

    static func latency(_ text: String) throws(BaedalEnvironment.Invalid) -> ClosedRange<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        switch parts.count {
        case 1: if let value = parts[0], (0...600_000).contains(value) { return value...value }
        case 2: if let low = parts[0], let high = parts[1], low >= 0, low <= high, high <= 600_000 { return low...high }
        default: break
        }
        throw .init(description: "BAEDAL_PAYMENT_LATENCY_MS must be N or MIN-MAX milliseconds (at most 600000), got '\(text)'")
    }
}
