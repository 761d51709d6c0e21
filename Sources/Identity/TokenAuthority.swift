import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs HS256 tokens with `BAEDAL_JWT_SECRET` (`baedalctl token`, `make run`, tests);
/// `TokenVerifier` verifies them.
public struct TokenAuthority: Sendable {
    public static let roles: Set<String> = ["customer", "owner", "rider", "operator"]
    /// HS256 needs a key at least as long as its hash.
    public static let minimumSecretBytes = 32
    private let keys: JWTKeyCollection

    /// Checks a secret before use: one line saying what is wrong, or nil.
    public static func problem(withSecret secret: String?) -> String? {
        guard let secret, !secret.isEmpty else { return "BAEDAL_JWT_SECRET is not set: it is the HS256 key of the bearer tokens" }
        guard secret.utf8.count >= minimumSecretBytes else {
            return "BAEDAL_JWT_SECRET must be at least \(minimumSecretBytes) bytes for HS256, got \(secret.utf8.count)"
        }
        return nil
    }

    /// `secret` must pass `problem(withSecret:)`.
    public init(secret: String) async {
        precondition(Self.problem(withSecret: secret) == nil, "a weak or empty HS256 secret")
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// The longest a token may live: ten years.
    public static let maxLifetimeSeconds = 10 * 365 * 86_400

    /// A token for `sub` in `role`, valid for `lifetime` seconds (at most `maxLifetimeSeconds`).
    public func issue(sub: String, role: String, store: String? = nil, lifetime: TimeInterval = 24 * 3600) async throws -> String {
        guard lifetime > 0, lifetime <= TimeInterval(Self.maxLifetimeSeconds) else {
            throw TokenError.invalid("a token lives 1 to \(Self.maxLifetimeSeconds) seconds")
        }
        guard Self.roles.contains(role) else { throw TokenError.unknownRole(role) }
        if role == "owner", store?.isEmpty ?? true { throw TokenError.ownerWithoutStore }
        return try await keys.sign(BaedalClaims(sub: sub, role: role, expires: Date(timeIntervalSinceNow: lifetime), store: store))
    }
}
