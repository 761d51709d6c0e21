import Daemon
import NIOCore

/// How long a client may take, for every Baedal HTTP server (`BAEDAL_HTTP_*_MS`):
/// - a request's head within `BAEDAL_HTTP_HEADER_TIMEOUT_MS` (10 s) of its first byte,
/// - the whole request within `BAEDAL_HTTP_REQUEST_TIMEOUT_MS` (30 s) of its first byte,
/// - a kept-alive connection may wait `BAEDAL_HTTP_IDLE_TIMEOUT_MS` (60 s) for its next request;
/// - on SIGTERM, requests in flight have `BAEDAL_HTTP_SHUTDOWN_GRACE_MS` (10 s) to finish.
/// A slow client is disconnected (with a 408 when no response has begun); nobody else waits.
public struct HTTPLimits: Sendable, Hashable {
    public var headerTimeoutMilliseconds = 10_000
    public var requestTimeoutMilliseconds = 30_000
    public var idleTimeoutMilliseconds = 60_000
    /// Far above any request's own bound (the gateway's timeout is 2 s), far below systemd's
    /// `TimeoutStopSec=30`: a restart waits only for the slowest request in flight.
    public var shutdownGraceMilliseconds = 10_000

    public init() {}

    /// What `init(_:)` reads (`--help`).
    public static let settings: [EnvironmentSetting] = [
        .init("BAEDAL_HTTP_HEADER_TIMEOUT_MS", default: "10000", "a request's head must arrive within this long of its first byte"),
        .init("BAEDAL_HTTP_REQUEST_TIMEOUT_MS", default: "30000", "the whole request must arrive within this long of its first byte"),
        .init("BAEDAL_HTTP_IDLE_TIMEOUT_MS", default: "60000", "a kept-alive connection may wait this long for its next request"),
        .init("BAEDAL_HTTP_SHUTDOWN_GRACE_MS", default: "10000", "after SIGTERM, how long the requests in flight may take before they are cut"),
    ]

    public init(_ variables: [String: String]) throws(BaedalEnvironment.Invalid) {
        headerTimeoutMilliseconds = try BaedalEnvironment.positive("BAEDAL_HTTP_HEADER_TIMEOUT_MS", variables, default: 10_000)
        requestTimeoutMilliseconds = try BaedalEnvironment.positive("BAEDAL_HTTP_REQUEST_TIMEOUT_MS", variables, default: 30_000)
        idleTimeoutMilliseconds = try BaedalEnvironment.positive("BAEDAL_HTTP_IDLE_TIMEOUT_MS", variables, default: 60_000)
        shutdownGraceMilliseconds = try BaedalEnvironment.positive("BAEDAL_HTTP_SHUTDOWN_GRACE_MS", variables, default: 10_000)
    }
}
