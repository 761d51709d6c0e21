import Foundation
import Identity
import Logging
import Testing

/// The settings and the first fetch: what cannot work is one clear line at start (the API exits 2 on it).
@Suite("Identity settings and the key set at start")
struct ConfigurationTests {
    func problem(secret: String? = nil, jwks: String? = nil, issuer: String? = nil, audience: String? = nil,
                 role: String? = nil, store: String? = nil) -> IdentityConfiguration.Invalid? {
        do {
            _ = try IdentityConfiguration(secret: secret, jwksURL: jwks, issuer: issuer, audience: audience, roleClaim: role, storeClaim: store)
            return nil
        } catch {
            return error
        }
    }

    @Test func settingsThatCannotWorkAreRefusedWithTheirName() {
        let secret = Provider.secret
        let ok = (jwks: "https://login.example/realms/b/protocol/openid-connect/certs", issuer: Provider.issuer, audience: Provider.audience)
        #expect(problem(secret: secret) == nil)
        #expect(problem(jwks: ok.jwks, issuer: ok.issuer, audience: ok.audience) == nil)
        #expect(problem(secret: secret, jwks: ok.jwks, issuer: ok.issuer, audience: ok.audience, role: "realm_access.roles") == nil)
        #expect(problem(jwks: "file:/etc/baedal/jwks.json", issuer: ok.issuer, audience: ok.audience) == nil)
        let cases: [(IdentityConfiguration.Invalid?, String)] = [
            (problem(), "BAEDAL_JWT_SECRET"),
            (problem(secret: "short"), "BAEDAL_JWT_SECRET"),
            (problem(jwks: "ftp://example/jwks", issuer: ok.issuer, audience: ok.audience), "BAEDAL_JWKS_URL"),
            (problem(jwks: "https:///jwks", issuer: ok.issuer, audience: ok.audience), "BAEDAL_JWKS_URL"),
            (problem(jwks: "https://exa mple/jwks", issuer: ok.issuer, audience: ok.audience), "BAEDAL_JWKS_URL"),
            (problem(jwks: "file:", issuer: ok.issuer, audience: ok.audience), "BAEDAL_JWKS_URL"),
            (problem(jwks: ok.jwks, audience: ok.audience), "BAEDAL_JWT_ISSUER"),
            (problem(jwks: ok.jwks, issuer: ok.issuer), "BAEDAL_JWT_AUDIENCE"),
            (problem(secret: "short", jwks: ok.jwks, issuer: ok.issuer, audience: ok.audience), "BAEDAL_JWT_SECRET"),
            (problem(secret: secret, issuer: ok.issuer), "BAEDAL_JWT_ISSUER"),
            (problem(secret: secret, role: "realm_access..roles"), "BAEDAL_JWT_ROLE_CLAIM"),
            (problem(secret: secret, store: ".store"), "BAEDAL_JWT_STORE_CLAIM"),
        ]
        for (invalid, setting) in cases {
            #expect(invalid?.setting == setting, "\(String(describing: invalid))")
            #expect(invalid?.description.hasPrefix(setting) == true && invalid?.description.contains("\n") == false, "\(String(describing: invalid))")
        }
    }

    func start(_ url: String) async -> KeySetError? {
        do {
            let configuration = try IdentityConfiguration(secret: nil, jwksURL: url, issuer: Provider.issuer, audience: Provider.audience,
                                                          roleClaim: nil, storeClaim: nil)
            _ = try await TokenVerifier.start(configuration, logger: Logger(label: "test"))
            return nil
        } catch let error as KeySetError {
            return error
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    @Test func aKeySetThatCannotBeHadAtStartIsAnError() async throws {
        let gone = try KeySetServer([])
        gone.stop()
        let server = try KeySetServer([Keys.rsa.jwk(extra: ["use": "enc"]), TestKey.p256("p384").jwk(extra: ["crv": "P-384"])])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("jwks.json")
        try Data(JSONText.keySet(Keys.all.map { $0.jwk() }).utf8).write(to: file)

        #expect(await start("file:" + file.path) == nil)
        #expect(await start("file://" + file.path) == nil)
        guard case .unreadable? = await start("file:" + directory.appendingPathComponent("missing.json").path) else { Issue.record("a missing file"); return }
        guard case .noUsableKeys(let skipped)? = await start(server.url) else { Issue.record("a set without usable keys"); return }
        #expect(skipped.count == 2 && skipped[0].contains("use is not sig") && skipped[1].contains("P-256"), "\(skipped)")
        server.publish(raw: "<html>login</html>")
        let notJSON = await start(server.url)
        guard case .malformed? = notJSON else { Issue.record("not JSON: \(String(describing: notJSON))"); return }
        server.down = true
        #expect(await start(server.url) == .status(503))
        guard case .unreachable? = await start(gone.url) else { Issue.record("nobody listening"); return }
    }

    @Test func keysThatCannotBeUsedAreSkippedWithWhyAndTheOthersKept() async throws {
        let twin = TestKey.rsa("ec-1")
        let set = try await KeySet.read(Array(JSONText.keySet([
            Keys.rsa.jwk(), Keys.p256.jwk(withAlg: false), Keys.ed25519.jwk(),
            Keys.another.jwk(extra: ["alg": "PS256"]),            // an algorithm not verified here
            Keys.another.jwk(extra: ["kid": "private", "d": "AAAA"]),  // private material published
            Keys.another.jwk(extra: ["kid": ""]),                 // no kid
            twin.jwk(),                                           // the same kid as the P-256 key
            ["kty": "oct", "kid": "hmac", "k": "c2VjcmV0"],
        ]).utf8))
        #expect(set.keyIDs == ["ed-1", "rsa-1"], "\(set.skipped)")
        #expect(set.keys["rsa-1"]?.algorithm == .rs256 && set.keys["ed-1"]?.algorithm == .edDSA)
        #expect(set.skipped.count == 6, "\(set.skipped)")
        #expect(set.skipped.contains { $0.contains("names more than one key") })
        #expect(set.skipped.contains { $0.contains("private key material") })
    }

    @Test func freshnessFollowsCacheControlWithinBounds() {
        #expect(KeySetFreshness.seconds(cacheControl: nil) == 600)
        #expect(KeySetFreshness.seconds(cacheControl: "public, max-age=3600, must-revalidate") == 3600)
        #expect(KeySetFreshness.seconds(cacheControl: "max-age=\"7200\"") == 7200)
        #expect(KeySetFreshness.seconds(cacheControl: "max-age=5") == 60)
        #expect(KeySetFreshness.seconds(cacheControl: "no-cache, no-store, must-revalidate") == 60)
        #expect(KeySetFreshness.seconds(cacheControl: "max-age=99999999999999999999999") == 86_400)
        #expect(KeySetFreshness.seconds(cacheControl: "max-age=-3") == 600)
        #expect(KeySetFreshness.seconds(cacheControl: "private") == 600)
    }

    @Test func locations() {
        #expect(KeySetLocation("https://login.example/certs") == .http(url: "https://login.example/certs"))
        #expect(KeySetLocation("http://[::1]:8080/jwks") == .http(url: "http://[::1]:8080/jwks"))
        #expect(KeySetLocation("file:///etc/jwks.json") == .file(path: "/etc/jwks.json"))
        #expect(KeySetLocation("file:jwks.json") == .file(path: "jwks.json"))
        #expect(KeySetLocation("http://10.0.0.5/jwks")?.isPlainHTTPOffHost == true)
        #expect(KeySetLocation("http://127.0.0.1:9/jwks")?.isPlainHTTPOffHost == false)
        #expect(KeySetLocation("https://login.example/certs")?.isPlainHTTPOffHost == false)
        for bad in ["", "jwks.json", "https://", "http://:80/x", "https://a b/"] { #expect(KeySetLocation(bad) == nil, "\(bad)") }
    }
}
