import JWTKit

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
        case .unknownRole(let role): "unknown role '\(role)' (customer, owner, rider or operator)"
        case .ownerWithoutStore: "an owner's token must name its store"
        }
    }
}
