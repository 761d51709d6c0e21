import JSON
import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The claims of a Baedal bearer token (the contract's Identity section): `sub`, `role`,
/// `exp`, and for an owner the `store` they own; `nbf`, when present, is honoured.
public struct BaedalClaims: JWTPayload, Equatable {
    /// The latest `exp` accepted: the last second of the year 9999. Beyond it a date is not a
    /// date (`1e300`), and no arithmetic on it is safe.
    public static let latestExpiry: Double = 253_402_300_799

    public var sub: SubjectClaim
    public var role: String
    public var exp: ExpirationClaim
    public var nbf: NotBeforeClaim?
    public var store: String?

    public init(sub: String, role: String, expires: Date, store: String? = nil) {
        self.sub = SubjectClaim(value: sub)
        self.role = role
        self.exp = ExpirationClaim(value: expires)
        self.store = store
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        let seconds = exp.value.timeIntervalSince1970
        guard seconds.isFinite, seconds <= Self.latestExpiry else {
            throw JWTError.claimVerificationFailure(failedClaim: exp, reason: "exp is not a date before the year 10000")
        }
        try exp.verifyNotExpired()
        if let nbf {
            guard nbf.value.timeIntervalSince1970.isFinite else {
                throw JWTError.claimVerificationFailure(failedClaim: nbf, reason: "nbf is not a date")
            }
            // A few seconds of leeway for clocks that differ a little.
            try NotBeforeClaim(value: nbf.value.addingTimeInterval(-5)).verifyNotBefore()
        }
    }

    /// `exp` in whole seconds since the epoch (always in range once verified).
    public var expiresAtSeconds: Int { Int(min(max(exp.value.timeIntervalSince1970, 0), Self.latestExpiry)) }
}
