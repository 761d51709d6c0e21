import Crypto
import Foundation
import Identity
import Testing

/// Tokens of an OpenID Connect provider (issue 23, test 1): a key set of RSA, P-256 and Ed25519
/// keys served on loopback, tokens signed by the test.
@Suite("Tokens from an OpenID Connect provider")
struct ProviderTokenTests {
    @Test func aTokenOfEachAlgorithmVerifies() async throws {
        let server = try KeySetServer(Keys.all.map { $0.jwk() })
        let verifier = try await makeVerifier(server)
        #expect(verifier.accepted == [.rs256, .es256, .edDSA])
        for key in Keys.all {
            let verified = try await verifier.verify(key.token(providerClaims(sub: "c-\(key.alg)")))
            #expect(verified == VerifiedToken(subject: "c-\(key.alg)", role: "customer", store: nil,
                                              expiresAtSeconds: verified.expiresAtSeconds, key: .provider(kid: key.kid)), "\(key.alg)")
        }
        // Keys published without alg: the key's type says which algorithm it verifies.
        server.publish(Keys.all.map { $0.jwk(withAlg: false) })
        let bare = try await makeVerifier(server)
        for key in Keys.all { #expect(await refusal(bare, key.token(providerClaims())) == nil, "\(key.alg) without alg") }
        #expect(server.fetches == 2)
    }

    /// Every way a provider's token is refused, each with its own reason.
    @Test func eachRefusalHasItsOwnReason() async throws {
        let removed = TestKey.p256("ec-removed")
        let server = try KeySetServer((Keys.all + [removed]).map { $0.jwk() })
        let clock = ManualClock()
        let verifier = try await makeVerifier(server, clock: clock)
        let claims = providerClaims()
        let header = #"{"alg":"RS256","typ":"JWT","kid":"rsa-1"}"#
        var reasons: [String: TokenError] = [:]
        func refused(_ what: String, _ token: String, _ expected: TokenError) async {
            let error = await refusal(verifier, token)
            #expect(error == expected, "\(what): \(String(describing: error))")
            reasons[what] = error
        }

        await refused("wrong iss", Keys.rsa.token(providerClaims(issuer: "https://evil.test")), .wrongIssuer("https://evil.test"))
        await refused("wrong aud", Keys.rsa.token(providerClaims(audience: "another-app")), .wrongAudience(["another-app"]))
        await refused("no aud", Keys.rsa.token(claims.filter { $0.key != "aud" }), .wrongAudience([]))
        await refused("alg none", Keys.rsa.sign(header: #"{"alg":"none","kid":"rsa-1"}"#, payload: JSONText.of(claims)).split(separator: ".").prefix(2).joined(separator: ".") + ".",
                      .unsigned)
        // The key-confusion attack: an HS256 token whose "secret" is the provider's RSA public key.
        let confused = HS256.sign(header: #"{"alg":"HS256","typ":"JWT","kid":"rsa-1"}"#, payload: JSONText.of(claims), secret: Keys.rsa.publicPEM)
        await refused("HS256 with the public key as secret", confused, .algorithmNotAccepted("HS256", accepted: [.rs256, .es256, .edDSA]))
        await refused("no kid", Keys.rsa.sign(header: #"{"alg":"RS256"}"#, payload: JSONText.of(claims)), .missingKeyID)
        await refused("kid of another algorithm", Keys.rsa.sign(header: #"{"alg":"ES256","kid":"rsa-1"}"#, payload: JSONText.of(claims)),
                      .keyAlgorithmMismatch(kid: "rsa-1", key: .rs256, token: .es256))
        await refused("signed by another key", Keys.another.sign(header: header, payload: JSONText.of(claims)), .badSignature)
        await refused("expired", Keys.rsa.token(providerClaims(extra: ["exp": Int(Date().timeIntervalSince1970) - 10])), .expired)
        await refused("duplicate member", Keys.rsa.sign(header: #"{"alg":"RS256","kid":"rsa-1","kid":"rsa-1"}"#, payload: JSONText.of(claims)),
                      .duplicateMember(.header, name: "kid", path: ""))
        // Unknown kid: the set is fetched again once, and the kid is still unknown.
        await refused("unknown kid", TestKey.rsa("nobody").token(claims), .unknownKey("nobody", .refreshed))
        #expect(server.fetches == 2)
        // A key the provider removed: once the set is fetched again (past its max-age), its tokens are refused.
        let signedByRemoved = removed.token(claims)
        #expect(await refusal(verifier, signedByRemoved) == nil)
        server.publish(Keys.all.map { $0.jwk() })
        clock.advance(seconds: 301)
        _ = await refusal(verifier, Keys.rsa.token(claims))  // answered from the cache; the set is fetched in the background
        #expect(await until { verifier.keys?.status.refreshes == 2 })
        await refused("signed by a removed key", signedByRemoved, .retiredKey("ec-removed"))

        #expect(Set(reasons.values).count == reasons.count, "every refusal has its own reason")
        #expect(Set(reasons.values.map(\.description)).count == reasons.count, "and its own message")
        #expect(await refusal(verifier, Keys.rsa.token(claims)) == nil, "the same claims with nothing wrong are accepted")
    }

    @Test func onlyTheAlgorithmsConfiguredAreAccepted() async throws {
        let server = try KeySetServer(Keys.all.map { $0.jwk() })
        let claims = providerClaims()
        let hs256 = HS256.sign(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: JSONText.of(claims), secret: Provider.secret)
        let confused = HS256.sign(header: #"{"alg":"HS256","kid":"rsa-1"}"#, payload: JSONText.of(claims), secret: Keys.rsa.publicPEM)
        // The provider alone: no HS256 at all.
        let providerOnly = try await makeVerifier(server)
        #expect(await refusal(providerOnly, hs256) == .algorithmNotAccepted("HS256", accepted: [.rs256, .es256, .edDSA]))
        // The secret alone: nothing of the provider's.
        let secretOnly = await TokenVerifier(secret: Provider.secret)
        #expect(await refusal(secretOnly, Keys.rsa.token(claims)) == .algorithmNotAccepted("RS256", accepted: [.hs256]))
        #expect(await refusal(secretOnly, hs256) == nil)
        // Both, during a migration: each kind with its own key, never the other's.
        let both = try await makeVerifier(server, secret: Provider.secret)
        #expect(try await both.verify(hs256).key == .secret)
        #expect(try await both.verify(Keys.p256.token(claims)).key == .provider(kid: "ec-1"))
        #expect(await refusal(both, confused) == .badSignature)
        for alg in ["none", "NONE", "None"] {
            #expect(await refusal(both, HS256.sign(header: #"{"alg":"\#(alg)"}"#, payload: JSONText.of(claims), secret: "")) == .unsigned)
        }
        for alg in ["RS384", "PS256", "ES512", "HS512", "rs256"] {
            let error = await refusal(both, Keys.rsa.sign(header: #"{"alg":"\#(alg)","kid":"rsa-1"}"#, payload: JSONText.of(claims)))
            #expect(error == .algorithmNotAccepted(alg, accepted: [.hs256, .rs256, .es256, .edDSA]), "\(alg)")
        }
        // Keys the token offers are never used.
        let offered = TestKey.rsa("offered")
        let jwkHeader = JSONText.of(["alg": "RS256", "kid": "offered", "jwk": offered.jwk()])
        #expect(await refusal(both, offered.sign(header: jwkHeader, payload: JSONText.of(claims))) == .unknownKey("offered", .refreshed))
    }

    @Test func rolesAndStoresComeFromTheClaimsTheSettingsName() async throws {
        let server = try KeySetServer(Keys.all.map { $0.jwk() })
        let keycloak = try await makeVerifier(server, roleClaim: "realm_access.roles", storeClaim: "baedal.store")
        func roles(_ list: [String], store: String? = nil) -> String {
            var claims = providerClaims(extra: ["realm_access": ["roles": list]])
            claims["role"] = nil
            if let store { claims["baedal"] = ["store": store] }
            return Keys.rsa.token(claims)
        }
        let customer = try await keycloak.verify(roles(["offline_access", "uma_authorization", "customer", "default-roles-baedal"]))
        #expect(customer.role == "customer" && customer.store == nil)
        let owner = try await keycloak.verify(roles(["owner", "owner", "offline_access"], store: "s-gangnam-chicken"))
        #expect(owner.role == "owner" && owner.store == "s-gangnam-chicken")
        #expect(await refusal(keycloak, roles(["customer", "owner"], store: "s1")) == .ambiguousRole(claim: "realm_access.roles", roles: ["customer", "owner"]))
        #expect(await refusal(keycloak, roles(["offline_access"])) == .noRole(claim: "realm_access.roles"))
        #expect(await refusal(keycloak, roles(["owner"])) == .ownerWithoutStore)
        #expect(await refusal(keycloak, Keys.rsa.token(providerClaims())) == .invalid("it has no role claim 'realm_access.roles'"))
        let ambiguous = await refusal(keycloak, roles(["rider", "operator", "customer"]))
        #expect(ambiguous?.description.contains("exactly one") == true)

        // A claim whose own name holds dots (Auth0's namespaced claims) is found under that name.
        let auth0 = try await makeVerifier(server, roleClaim: "https://baedal.example/role")
        var namespaced = providerClaims(extra: ["https://baedal.example/role": "rider"])
        namespaced["role"] = nil
        #expect(try await auth0.verify(Keys.ed25519.token(namespaced)).role == "rider")
        // The defaults, role and store, as HS256 tokens carry them.
        let plain = try await makeVerifier(server)
        #expect(try await plain.verify(Keys.p256.token(providerClaims(role: "owner", extra: ["store": "s1"]))).store == "s1")
        #expect(await refusal(plain, Keys.p256.token(providerClaims(role: "admin"))) == .unknownRole("admin"))
        #expect(await refusal(plain, Keys.p256.token(providerClaims(role: ["customer"]))) == nil, "a list under role works too")
        #expect(await refusal(plain, Keys.p256.token(providerClaims(role: 7))) == .invalid("'role' is not a string or a list of strings"))
        // aud may be a list that names this API among others.
        #expect(await refusal(plain, Keys.p256.token(providerClaims(audience: ["account", Provider.audience]))) == nil)
    }

    @Test func nothingInATokenIsTrusted() async throws {
        let server = try KeySetServer(Keys.all.map { $0.jwk() })
        let verifier = try await makeVerifier(server, secret: Provider.secret)
        for (what, exp) in [("1e300", "1e300"), ("beyond Int.max", "9223372036854775807000"), ("negative", "-1"), ("a string", #""tomorrow""#),
                            ("huge exponent", "1e999999")] {
            let payload = #"{"sub":"c1","role":"customer","iss":"\#(Provider.issuer)","aud":"\#(Provider.audience)","exp":\#(exp)}"#
            let error = await refusal(verifier, Keys.rsa.sign(header: #"{"alg":"RS256","kid":"rsa-1"}"#, payload: payload))
            #expect(error == .invalid("exp is not a date before the year 10000") || (what == "a string" && error != nil), "\(what): \(String(describing: error))")
        }
        #expect(await refusal(verifier, String(repeating: "a", count: 20_000)) == .tooLarge(limit: 16_384))
        let longKid = String(repeating: "k", count: 300)
        #expect(await refusal(verifier, Keys.rsa.token(providerClaims(), kid: longKid)) == .invalid("the header's kid is empty or too long"))
        // A kid made up per request is refused at once after the first fetch: no fetch per request.
        for index in 0..<50 { _ = await refusal(verifier, Keys.rsa.token(providerClaims(), kid: "made-up-\(index)")) }
        #expect(server.fetches == 2)
        let error = await refusal(verifier, Keys.rsa.token(providerClaims(), kid: String(repeating: "é", count: 60)))
        #expect(error?.description.contains("…") == true, "text from a token is cut short: \(String(describing: error))")
    }
}
