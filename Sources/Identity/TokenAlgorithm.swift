/// The signature algorithms a bearer token may name, and nothing else: HS256 with the shared
/// secret, RS256, ES256 and EdDSA (Ed25519) with a provider's published keys. `none` is not a
/// case, so no configuration can accept it; which of these a running API accepts depends on what
/// it is given (`TokenVerifier.accepted`): HS256 only with a secret, the others only with a key set.
public enum TokenAlgorithm: String, Sendable, Hashable, CaseIterable, Comparable {
    case hs256 = "HS256"
    case rs256 = "RS256"
    case es256 = "ES256"
    case edDSA = "EdDSA"

    /// Verified with a provider's public key (chosen by `kid`), not with the shared secret.
    public var isAsymmetric: Bool { self != .hs256 }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
