import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The claims of a Baedal bearer token (the contract's Identity section): `sub`, `role`,
/// `exp`, and for an owner the `store` they own.
public struct BaedalClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var role: String
    public var exp: ExpirationClaim
    public var store: String?

    public init(sub: String, role: String, expires: Date, store: String? = nil) {
        self.sub = SubjectClaim(value: sub)
        self.role = role
        self.exp = ExpirationClaim(value: expires)
        self.store = store
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Why a token was not accepted.
public enum TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing
    case invalid(String)
    case unknownRole(String)
    case ownerWithoutStore

    public var description: String {
        switch self {
        case .missing: "an Authorization: Bearer token is required"
        case .invalid(let reason): "the bearer token is not valid: \(reason)"
        case .unknownRole(let role): "unknown role '\(role)' (customer, owner or rider)"
        case .ownerWithoutStore: "an owner's token must name its store"
        }
    }
}

/// Signs and verifies HS256 tokens with `BAEDAL_JWT_SECRET`.
public struct TokenAuthority: Sendable {
    public static let roles: Set<String> = ["customer", "owner", "rider"]
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

    /// A token for `sub` in `role`, valid for `lifetime` seconds.
    public func issue(sub: String, role: String, store: String? = nil, lifetime: TimeInterval = 24 * 3600) async throws -> String {
        guard Self.roles.contains(role) else { throw TokenError.unknownRole(role) }
        if role == "owner", store?.isEmpty ?? true { throw TokenError.ownerWithoutStore }
        return try await keys.sign(BaedalClaims(sub: sub, role: role, expires: Date(timeIntervalSinceNow: lifetime), store: store))
    }

    /// The claims of a valid token; `TokenError` otherwise.
    public func verify(_ token: String) async throws(TokenError) -> BaedalClaims {
        let claims: BaedalClaims
        do {
            claims = try await keys.verify(token, as: BaedalClaims.self)
        } catch {
            throw .invalid(Self.reason(error))
        }
        guard Self.roles.contains(claims.role) else { throw .unknownRole(claims.role) }
        if claims.role == "owner", claims.store?.isEmpty ?? true { throw .ownerWithoutStore }
        guard !claims.sub.value.isEmpty else { throw .invalid("sub is empty") }
        return claims
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? JWTError {
            switch error.errorType {
            case .claimVerificationFailure: return "expired"
            case .signatureVerificationFailed: return "bad signature"
            default: return "malformed"
            }
        }
        return "malformed"
    }
}
