import JWTKit
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Verifies bearer tokens as the configuration says: HS256 against the shared secret, RS256,
/// ES256 and EdDSA against the provider's key set, nothing else.
///
/// One path for every token: the token is read once (`SignedToken`: duplicate members refused,
/// the algorithm gated on what is configured, so that an HS256 token is never checked against a
/// provider's public key and `none` never passes), the key is chosen by what the header says
/// (`kid` for a provider's token, never a default key), jwt-kit checks the signature, and the
/// claims are read from the same tree the gate read.
public final class TokenVerifier: Sendable {
    public let accepted: Set<TokenAlgorithm>
    /// The provider's keys (nil without `BAEDAL_JWKS_URL`).
    public let keys: KeySetCache?
    private let secretKey: (any JWTAlgorithm)?
    private let provider: IdentityConfiguration.Provider?
    private let roleClaim: ClaimPath
    private let storeClaim: ClaimPath

    /// HS256 with `secret` only (`secret` must pass `TokenAuthority.problem(withSecret:)`).
    public convenience init(secret: String) async {
        precondition(TokenAuthority.problem(withSecret: secret) == nil, "a weak or empty HS256 secret")
        self.init(configuration: IdentityConfiguration(secret: secret), secretKey: await Self.hmac(secret), keys: nil)
    }

    /// Ready to verify what `configuration` accepts: with a provider, its key set is fetched first,
    /// and one that cannot be had or holds no usable key is an error (the API does not start).
    public static func start(_ configuration: IdentityConfiguration, logger: Logger, now: @escaping KeySetCache.Now = { .now },
                             refreshInterval: Duration = KeySetCache.defaultRefreshInterval) async throws(KeySetError) -> TokenVerifier {
        var keys: KeySetCache?
        if let provider = configuration.provider {
            if provider.keySet.isPlainHTTPOffHost {
                logger.warning("BAEDAL_JWKS_URL is plain http:// to another host: anyone on the way can replace the provider's keys; use https://")
            }
            let fetcher = KeySetFetcher(location: provider.keySet)
            keys = try await KeySetCache.start(fetch: { () async throws(KeySetError) -> KeySetDocument in try await fetcher.fetch() },
                                               source: provider.keySet.description, now: now, refreshInterval: refreshInterval, logger: logger)
        }
        var secretKey: (any JWTAlgorithm)?
        if let secret = configuration.secret { secretKey = await hmac(secret) }
        return TokenVerifier(configuration: configuration, secretKey: secretKey, keys: keys)
    }

    private init(configuration: IdentityConfiguration, secretKey: (any JWTAlgorithm)?, keys: KeySetCache?) {
        accepted = configuration.accepted
        self.secretKey = secretKey
        self.keys = keys
        provider = configuration.provider
        roleClaim = configuration.roleClaim
        storeClaim = configuration.storeClaim
    }

    private static func hmac(_ secret: String) async -> any JWTAlgorithm {
        let collection = JWTKeyCollection()
        await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        guard let key = try? await collection.getKey() else { preconditionFailure("jwt-kit made no HS256 key") }
        return key
    }

    /// Who the token says its bearer is; `TokenError` with the reason otherwise.
    public func verify(_ token: String) async throws(TokenError) -> VerifiedToken {
        let signed = try SignedToken(token, accepting: accepted)
        let verifier: any JWTAlgorithm
        let key: VerifiedToken.Key
        switch (signed.algorithm, secretKey, keys) {
        case (.hs256, let secretKey?, _):
            verifier = secretKey
            key = .secret
        case (let algorithm, _, let keys?) where algorithm.isAsymmetric:
            guard let kid = signed.keyID else { throw .missingKeyID }
            switch await keys.key(for: kid) {
            case .key(let found):
                guard found.algorithm == algorithm else { throw .keyAlgorithmMismatch(kid: kid, key: found.algorithm, token: algorithm) }
                verifier = found.verifier
                key = .provider(kid: kid)
            case .retired: throw .retiredKey(kid)
            case .unknown(let refresh): throw .unknownKey(kid, refresh)
            }
        default:
            // `SignedToken` admits only what is configured; kept for the compiler.
            throw .algorithmNotAccepted(signed.algorithm.rawValue, accepted: accepted.sorted())
        }
        guard (try? verifier.verify(signed.signature, signs: signed.signingInput)) == true else { throw .badSignature }

        let claims = TokenClaims(payload: signed.payload)
        let expires = try claims.checkTimes(now: Date().timeIntervalSince1970)
        let role: String?
        let store: String?
        if case .provider = key, let provider {
            try claims.checkIssuer(provider.issuer)
            try claims.checkAudience(provider.audience)
            role = try claims.role(at: roleClaim)
            store = try claims.string(storeClaim.value(in: signed.payload), named: storeClaim.text)
        } else {
            role = try claims.string("role")
            store = try claims.string("store")
        }
        guard let subject = try claims.string("sub") else { throw .invalid("it has no sub") }
        guard !subject.isEmpty else { throw .invalid("sub is empty") }
        guard let role else { throw .invalid("it has no role") }
        guard TokenAuthority.roles.contains(role) else { throw .unknownRole(role) }
        let ownStore = store.flatMap { $0.isEmpty ? nil : $0 }
        if role == "owner", ownStore == nil { throw .ownerWithoutStore }
        return VerifiedToken(subject: subject, role: role, store: ownStore, expiresAtSeconds: expires, key: key)
    }

    /// Whether a token verified earlier is still vouched for: a provider's token only while its key
    /// is in the set (a removed key's tokens are refused from the next request on, even remembered ones).
    public func stillTrusts(_ token: VerifiedToken) -> Bool {
        switch token.key {
        case .secret: true
        case .provider(let kid): keys?.holds(kid) ?? false
        }
    }
}
