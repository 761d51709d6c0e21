/// What a verified token says about its bearer: the id (`sub`), the role, an owner's store, until
/// when, and which key vouched for it (so that a token remembered by the API is dropped when its
/// provider key is removed from the key set).
public struct VerifiedToken: Sendable, Hashable {
    public enum Key: Sendable, Hashable {
        /// HS256 with `BAEDAL_JWT_SECRET`.
        case secret
        /// The provider's key of this `kid`.
        case provider(kid: String)
    }

    public var subject: String
    /// One of `TokenAuthority.roles`.
    public var role: String
    public var store: String?
    /// `exp` in whole seconds since the epoch (within 1970…9999 once verified).
    public var expiresAtSeconds: Int
    public var key: Key

    public init(subject: String, role: String, store: String?, expiresAtSeconds: Int, key: Key) {
        self.subject = subject
        self.role = role
        self.store = store
        self.expiresAtSeconds = expiresAtSeconds
        self.key = key
    }
}
