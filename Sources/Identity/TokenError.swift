/// Why a token was not accepted: one case per reason, so that a 401's message says which check
/// failed (and a test can tell them apart). Text taken from a token is cut short before it is shown.
public enum TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing
    /// Malformed, or a claim that is missing or of the wrong type: the reason says which.
    case invalid(String)
    case unknownRole(String)
    case ownerWithoutStore
    case tooLarge(limit: Int)
    /// The header or the payload names a member twice (at any depth).
    case duplicateMember(TokenPart, name: String, path: String)
    /// `alg: none`: an unsigned token, never accepted.
    case unsigned
    /// An algorithm this API does not accept as configured (HS256 without a secret, RS256 without
    /// a key set, or one it never verifies).
    case algorithmNotAccepted(String, accepted: [TokenAlgorithm])
    /// A provider's token without `kid`: keys are chosen by `kid`, never by a default.
    case missingKeyID
    /// A `kid` the provider's key set does not hold, after what the refresh did.
    case unknownKey(String, KeyRefresh)
    /// A `kid` the provider has removed from its key set.
    case retiredKey(String)
    /// The `kid` names a key of another algorithm than the header's `alg`.
    case keyAlgorithmMismatch(kid: String, key: TokenAlgorithm, token: TokenAlgorithm)
    case badSignature
    case expired
    case notYetValid
    case wrongIssuer(String)
    case wrongAudience([String])
    /// The role claim (a list) holds none of our roles.
    case noRole(claim: String)
    /// The role claim (a list) holds more than one of our roles.
    case ambiguousRole(claim: String, roles: [String])

    /// What an unknown `kid` led to.
    public enum KeyRefresh: Sendable, Hashable {
        /// The set was fetched again for it, and it is still not there.
        case refreshed
        /// The set was fetched this many seconds ago; it is fetched again for an unknown key at
        /// most once per `interval` seconds.
        case tooSoon(secondsAgo: Int, interval: Int)
        /// Fetching the set again failed.
        case failed(String)
    }

    public var description: String {
        switch self {
        case .missing: "an Authorization: Bearer token is required"
        case .unknownRole(let role): "unknown role \(Self.quoted(role)) (customer, owner, rider or operator)"
        case .ownerWithoutStore: "an owner's token must name its store"
        default: "the bearer token is not valid: \(reason)"
        }
    }

    /// The reason alone, for the cases that are "not valid".
    public var reason: String {
        switch self {
        case .missing, .unknownRole, .ownerWithoutStore: description
        case .invalid(let reason): reason
        case .tooLarge(let limit): "longer than \(limit) bytes"
        case .duplicateMember(let part, let name, let path):
            "its \(part.rawValue) names the member \(Self.quoted(name))\(path.isEmpty ? "" : " of \(Self.quoted(path))") twice"
        case .unsigned: "alg none (an unsigned token) is never accepted"
        case .algorithmNotAccepted(let alg, let accepted):
            "alg \(Self.quoted(alg)) is not accepted here (accepted: \(accepted.sorted().map(\.rawValue).joined(separator: ", ")))"
        case .missingKeyID: "a provider's token must name its key (kid)"
        case .unknownKey(let kid, let refresh):
            switch refresh {
            case .refreshed: "its key \(Self.quoted(kid)) is not in the provider's key set (fetched again just now)"
            case .tooSoon(let ago, let interval):
                "its key \(Self.quoted(kid)) is not in the provider's key set (fetched \(ago) s ago; fetched again for an unknown key at most every \(interval) s)"
            case .failed(let problem): "its key \(Self.quoted(kid)) is not in the provider's key set, which could not be fetched again: \(problem)"
            }
        case .retiredKey(let kid): "its key \(Self.quoted(kid)) has been removed from the provider's key set"
        case .keyAlgorithmMismatch(let kid, let key, let token):
            "its key \(Self.quoted(kid)) is an \(key.rawValue) key, but the token says \(token.rawValue)"
        case .badSignature: "bad signature"
        case .expired: "expired"
        case .notYetValid: "not valid yet (nbf)"
        case .wrongIssuer(let issuer): "issued by \(Self.quoted(issuer)), not by the configured issuer"
        case .wrongAudience(let audience):
            audience.isEmpty ? "it names no audience (aud)" : "meant for \(audience.prefix(3).map(Self.quoted).joined(separator: ", ")), not for this API (aud)"
        case .noRole(let claim): "its \(Self.quoted(claim)) holds none of the roles customer, owner, rider or operator"
        case .ambiguousRole(let claim, let roles):
            "its \(Self.quoted(claim)) holds several roles (\(roles.joined(separator: ", "))): a token must carry exactly one of customer, owner, rider or operator"
        }
    }

    /// Text from a token in quotes, cut to 40 characters: a message never repeats a hostile token.
    static func quoted(_ text: String) -> String {
        "'" + (text.count > 40 ? text.prefix(40) + "…" : text) + "'"
    }
}

/// The two JSON parts of a token.
public enum TokenPart: String, Sendable, Hashable {
    case header
    case payload
}
