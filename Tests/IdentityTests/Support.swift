import Foundation
import Identity
import Logging
import Synchronization

/// Keys generated once for the whole run (an RSA key takes a moment), shared by the tests.
enum Keys {
    static let rsa = TestKey.rsa("rsa-1")
    static let p256 = TestKey.p256("ec-1")
    static let ed25519 = TestKey.ed25519("ed-1")
    static let rotatedIn = TestKey.p256("ec-2")
    static let another = TestKey.rsa("rsa-2")
    static var all: [TestKey] { [rsa, p256, ed25519] }
}

/// A monotonic clock the test moves: freshness and the refresh interval without waiting.
final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var now: @Sendable () -> ContinuousClock.Instant { { [self] in instant.withLock { $0 } } }
    func advance(seconds: Int) { instant.withLock { $0 += .seconds(seconds) } }
}

/// A logger whose messages the test reads.
final class LogCapture: Sendable {
    private let lines = Mutex<[(Logger.Level, String)]>([])
    var logger: Logger {
        Logger(label: "identity-tests") { _ in Handler(capture: self) }
    }

    func messages(_ level: Logger.Level) -> [String] { lines.withLock { $0.filter { $0.0 == level }.map(\.1) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.lines.withLock { $0.append((event.level, "\(event.message)")) }
        }
    }
}

/// Polls `condition` (a fact, not a delay) until it holds or `seconds` pass.
func until(seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// A verifier of the provider at `server` (and HS256 with `secret` when given).
func makeVerifier(_ server: KeySetServer, secret: String? = nil, roleClaim: String? = nil, storeClaim: String? = nil,
              clock: ManualClock = ManualClock(), logs: LogCapture = LogCapture()) async throws -> TokenVerifier {
    let configuration = try IdentityConfiguration(secret: secret, jwksURL: server.url, issuer: Provider.issuer, audience: Provider.audience,
                                                  roleClaim: roleClaim, storeClaim: storeClaim)
    return try await TokenVerifier.start(configuration, logger: logs.logger, now: clock.now)
}

/// The reason a token is refused (nil when it is accepted).
func refusal(_ verifier: TokenVerifier, _ token: String) async -> TokenError? {
    do {
        _ = try await verifier.verify(token)
        return nil
    } catch {
        return error
    }
}
