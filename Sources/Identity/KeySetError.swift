/// Why a provider's key set could not be had: at start a one-line error (exit 2), later a
/// warning while the cached keys go on being used.
public enum KeySetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The provider did not answer, or not in time (the transport's reason).
    case unreachable(String)
    /// It answered another status than 200 (a redirect is not followed: configure its target).
    case status(Int)
    case tooLarge(limit: Int)
    case unreadable(path: String, reason: String)
    case malformed(String)
    /// The set holds no key this API can use; why each was skipped.
    case noUsableKeys(skipped: [String])

    public var description: String {
        switch self {
        case .unreachable(let reason): "the key set could not be fetched: \(reason)"
        case .status(let status):
            (300..<400).contains(status)
                ? "the key set's URL answered \(status), a redirect (not followed: give BAEDAL_JWKS_URL its target)"
                : "the key set's URL answered \(status), not 200"
        case .tooLarge(let limit): "the key set is larger than \(limit / 1024) KiB"
        case .unreadable(let path, let reason): "the key set file \(path) cannot be read: \(reason)"
        case .malformed(let reason): "the key set is not a JSON Web Key Set: \(reason)"
        case .noUsableKeys(let skipped):
            "the key set holds no RS256, ES256 or EdDSA signing key with a kid" + (skipped.isEmpty ? "" : " (\(skipped.prefix(3).joined(separator: "; ")))")
        }
    }
}
