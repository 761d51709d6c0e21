/// Who may call the API, as its settings say (`baedal-api --help`): HS256 tokens signed with
/// `BAEDAL_JWT_SECRET`, tokens of an OpenID Connect provider verified against its key set
/// (`BAEDAL_JWKS_URL`, `BAEDAL_JWT_ISSUER`, `BAEDAL_JWT_AUDIENCE`), or both during a migration;
/// and which claims of a provider's token carry the role and the store.
public struct IdentityConfiguration: Sendable {
    public struct Provider: Sendable, Hashable {
        public var keySet: KeySetLocation
        /// `iss` of every token the provider issues (exactly).
        public var issuer: String
        /// This API's name at the provider: `aud` must hold it.
        public var audience: String

        public init(keySet: KeySetLocation, issuer: String, audience: String) {
            self.keySet = keySet
            self.issuer = issuer
            self.audience = audience
        }
    }

    public var secret: String?
    public var provider: Provider?
    /// Where a provider's token carries its role (HS256 tokens: always `role`).
    public var roleClaim: ClaimPath
    /// Where a provider's token carries an owner's store (HS256 tokens: always `store`).
    public var storeClaim: ClaimPath

    public static let defaultRoleClaim = ClaimPath("role")!
    public static let defaultStoreClaim = ClaimPath("store")!

    /// A setting that cannot work, in one line naming it.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        /// The variable at fault.
        public var setting: String
        public var description: String
    }

    public init(secret: String?, provider: Provider? = nil, roleClaim: ClaimPath = defaultRoleClaim, storeClaim: ClaimPath = defaultStoreClaim) {
        self.secret = secret
        self.provider = provider
        self.roleClaim = roleClaim
        self.storeClaim = storeClaim
    }

    /// From the settings' text (nil or empty: unset).
    public init(secret: String?, jwksURL: String?, issuer: String?, audience: String?, roleClaim: String?, storeClaim: String?) throws(Invalid) {
        func set(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        if let url = set(jwksURL) {
            guard let location = KeySetLocation(url) else {
                throw Invalid(setting: "BAEDAL_JWKS_URL", description: "BAEDAL_JWKS_URL must be an https:// or http:// URL or a file: path, got '\(url.prefix(80))'")
            }
            guard let issuer = set(issuer) else {
                throw Invalid(setting: "BAEDAL_JWT_ISSUER", description: "BAEDAL_JWT_ISSUER is not set: with BAEDAL_JWKS_URL it is required (the iss of the provider's tokens)")
            }
            guard let audience = set(audience) else {
                throw Invalid(setting: "BAEDAL_JWT_AUDIENCE", description: "BAEDAL_JWT_AUDIENCE is not set: with BAEDAL_JWKS_URL it is required (this API's client id, which aud must name)")
            }
            provider = Provider(keySet: location, issuer: issuer, audience: audience)
            if let secret = set(secret), let problem = TokenAuthority.problem(withSecret: secret) { throw Invalid(setting: "BAEDAL_JWT_SECRET", description: problem) }
            self.secret = set(secret)
        } else {
            for (name, value) in [("BAEDAL_JWT_ISSUER", issuer), ("BAEDAL_JWT_AUDIENCE", audience)] where set(value) != nil {
                throw Invalid(setting: name, description: "\(name) is set but BAEDAL_JWKS_URL is not: without the provider's key set no token is checked against it")
            }
            if let problem = TokenAuthority.problem(withSecret: set(secret)) {
                throw Invalid(setting: "BAEDAL_JWT_SECRET", description: problem)
            }
            self.secret = set(secret)
            provider = nil
        }
        self.roleClaim = try Self.claim("BAEDAL_JWT_ROLE_CLAIM", set(roleClaim), default: Self.defaultRoleClaim)
        self.storeClaim = try Self.claim("BAEDAL_JWT_STORE_CLAIM", set(storeClaim), default: Self.defaultStoreClaim)
    }

    private static func claim(_ name: String, _ text: String?, default value: ClaimPath) throws(Invalid) -> ClaimPath {
        guard let text else { return value }
        guard let path = ClaimPath(text) else {
            throw Invalid(setting: name, description: "\(name) must name a claim or a dotted path to one (such as realm_access.roles), got '\(text.prefix(80))'")
        }
        return path
    }

    /// The algorithms this configuration accepts: HS256 with a secret, the provider's with a key set.
    public var accepted: Set<TokenAlgorithm> {
        var algorithms: Set<TokenAlgorithm> = []
        if secret != nil { algorithms.insert(.hs256) }
        if provider != nil { algorithms.formUnion([.rs256, .es256, .edDSA]) }
        return algorithms
    }
}
