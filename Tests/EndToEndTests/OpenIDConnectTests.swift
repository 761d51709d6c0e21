import Crypto
import CryptoExtras
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 23, test 1, against the real processes: a `baedal-api` given an OpenID Connect provider's
/// key set (served by the test on loopback) and the HS256 secret too, as during a migration.
@Suite("Tokens from an OpenID Connect provider, end to end", .serialized)
struct OpenIDConnectTests {
    static let issuer = "https://login.baedal.test/realms/baedal"
    static let audience = "baedal-api"

    @Test func ordersGoThroughWithEachAlgorithmAndBadTokensAreRefusedWithAReason() async throws {
        let rsa = ProviderKey(kid: "rsa-1", .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
        let p256 = ProviderKey(kid: "ec-1", .p256(P256.Signing.PrivateKey()))
        let ed25519 = ProviderKey(kid: "ed-1", .ed25519(Curve25519.Signing.PrivateKey()))
        let provider = try KeySetEndpoint(keys: [rsa.jwk, p256.jwk, ed25519.jwk])
        let deployment = try await Deployment(api: ["BAEDAL_JWKS_URL": provider.url, "BAEDAL_JWT_ISSUER": Self.issuer,
                                                    "BAEDAL_JWT_AUDIENCE": Self.audience, "BAEDAL_JWT_ROLE_CLAIM": "realm_access.roles"],
                                              workers: [])
        #expect(provider.fetches == 1)
        #expect(deployment.api?.log.contains("3 keys") == true, "\(deployment.logs)")

        // A customer's order with a token of each algorithm, and the order is theirs.
        var tokens: [String: String] = [:]
        for key in [rsa, p256, ed25519] {
            let customer = "c-oidc-\(key.kid)"
            let token = key.token(Self.claims(sub: customer))
            tokens[key.kid] = token
            let orderId = try await deployment.placed(token)
            let order = try await deployment.call("GET", "/orders/\(orderId)", token: token)
            #expect(order.status == 200 && order.object["customerId"] as? String == customer, "\(key.kid): \(order.body)")
        }
        // The shared secret's tokens still work beside them.
        _ = try await deployment.placed(try await deployment.customer("c-hs256"))

        // Bad tokens: 401 and a message that says what is wrong.
        let claims = Self.claims(sub: "c-bad")
        let refused: [(String, String, String)] = [
            ("wrong iss", rsa.token(Self.claims(sub: "c-bad", issuer: "https://evil.test")), "not by the configured issuer"),
            ("wrong aud", rsa.token(Self.claims(sub: "c-bad", audience: "another-app")), "not for this API"),
            ("alg none", Self.unsigned(header: #"{"alg":"none","kid":"rsa-1"}"#, payload: JSONText.of(claims)), "alg none"),
            ("HS256 with the public key as secret",
             HandSigned.token(header: #"{"alg":"HS256","kid":"rsa-1"}"#, payload: JSONText.of(claims), secret: rsa.publicPEM), "bad signature"),
            ("a duplicate member", rsa.sign(header: #"{"alg":"RS256","kid":"rsa-1","alg":"none"}"#, payload: JSONText.of(claims)), "twice"),
            ("two of our roles", rsa.token(Self.claims(sub: "c-bad", roles: ["customer", "operator"])), "exactly one"),
            ("expired", rsa.token(Self.claims(sub: "c-bad", expires: -60)), "expired"),
        ]
        for (what, token, reason) in refused {
            let reply = try await deployment.call("GET", "/customers/me/orders", token: token)
            #expect(reply.status == 401 && reply.object["error"] as? String == "unauthorized", "\(what): \(reply.status) \(reply.body)")
            #expect((reply.object["message"] as? String)?.contains(reason) == true, "\(what): \(reply.body)")
        }
        #expect(provider.fetches == 1, "no refusal so far needed the key set again")

        // The provider removes its P-256 key. A token with an unknown kid fetches the set once, and
        // from then on the removed key's tokens are refused, even the one the API remembered.
        provider.publish([rsa.jwk, ed25519.jwk])
        let unknown = ProviderKey(kid: "nobody", .p256(P256.Signing.PrivateKey()))
        let reply = try await deployment.call("GET", "/customers/me/orders", token: unknown.token(claims))
        #expect(reply.status == 401 && (reply.object["message"] as? String)?.contains("not in the provider's key set") == true, "\(reply.body)")
        #expect(provider.fetches == 2)
        let removed = try await deployment.call("GET", "/customers/me/orders", token: tokens["ec-1"]!)
        #expect(removed.status == 401 && (removed.object["message"] as? String)?.contains("removed") == true, "\(removed.body)")
        #expect(try await deployment.call("GET", "/customers/me/orders", token: tokens["rsa-1"]!).status == 200)
        #expect(deployment.api?.isRunning == true, "\(deployment.logs)")
    }

    @Test func aKeySetThatCannotWorkStopsTheAPIAtStartWithOneLine() async throws {
        let redis = try RedisServer()
        let nobody = try freePort()
        let base = ["BAEDAL_REDIS_URL": redis.url, "BAEDAL_API_PORT": String(try freePort()), "BAEDAL_JWT_ISSUER": Self.issuer,
                    "BAEDAL_JWT_AUDIENCE": Self.audience]
        let empty = try KeySetEndpoint(keys: [["kty": "RSA", "kid": "enc-only", "use": "enc", "n": "AQAB", "e": "AQAB"]])
        let cases: [([String: String], String)] = [
            (["BAEDAL_JWKS_URL": "http://127.0.0.1:\(nobody)/jwks"], "could not be fetched"),
            (["BAEDAL_JWKS_URL": "file:/nonexistent/jwks.json"], "cannot be read"),
            (["BAEDAL_JWKS_URL": empty.url], "no RS256, ES256 or EdDSA signing key"),
            (["BAEDAL_JWKS_URL": "ldap://directory/jwks"], "BAEDAL_JWKS_URL must be"),
            (["BAEDAL_JWKS_URL": empty.url, "BAEDAL_JWT_ISSUER": ""], "BAEDAL_JWT_ISSUER is not set"),
        ]
        for (settings, reason) in cases {
            let api = try BaedalProcess("baedal-api", [], environment: base.merging(settings) { $1 })
            #expect(await api.waitForExit(seconds: 30) == 2, "\(settings): \(api.log)")
            let lines = api.log.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("baedal-api: ") && lines[0].contains(reason), "\(settings): \(api.log)")
        }
    }

    /// A provider's claims for a customer (roles in Keycloak's place), valid for an hour.
    static func claims(sub: String, issuer: String = issuer, audience: String = audience, roles: [String] = ["offline_access", "customer"],
                       expires: Int = 3600) -> [String: Any] {
        ["sub": sub, "iss": issuer, "aud": [audience, "account"], "exp": Int(Date().timeIntervalSince1970) + expires,
         "realm_access": ["roles": roles]]
    }

    static func unsigned(header: String, payload: String) -> String {
        HandSigned.base64URL(Data(header.utf8)) + "." + HandSigned.base64URL(Data(payload.utf8)) + "."
    }
}

/// A signing key as the provider holds it: its public JWK and a signer of raw header and payload.
private struct ProviderKey {
    enum Material {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let kid: String
    let material: Material

    init(kid: String, _ material: Material) {
        self.kid = kid
        self.material = material
    }

    var alg: String {
        switch material {
        case .rsa: "RS256"
        case .p256: "ES256"
        case .ed25519: "EdDSA"
        }
    }

    var jwk: [String: String] {
        switch material {
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            return ["kty": "RSA", "kid": kid, "alg": alg, "use": "sig", "n": HandSigned.base64URL(primitives.modulus),
                    "e": HandSigned.base64URL(primitives.publicExponent)]
        case .p256(let key):
            let point = key.publicKey.x963Representation.dropFirst()
            return ["kty": "EC", "crv": "P-256", "kid": kid, "alg": alg, "x": HandSigned.base64URL(Data(point.prefix(32))),
                    "y": HandSigned.base64URL(Data(point.suffix(32)))]
        case .ed25519(let key):
            return ["kty": "OKP", "crv": "Ed25519", "kid": kid, "x": HandSigned.base64URL(key.publicKey.rawRepresentation)]
        }
    }

    var publicPEM: String {
        guard case .rsa(let key) = material else { return "" }
        return key.publicKey.pemRepresentation
    }

    func sign(header: String, payload: String) -> String {
        let input = HandSigned.base64URL(Data(header.utf8)) + "." + HandSigned.base64URL(Data(payload.utf8))
        let signature: Data
        switch material {
        case .rsa(let key): signature = try! key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation
        case .p256(let key): signature = try! key.signature(for: Data(input.utf8)).rawRepresentation
        case .ed25519(let key): signature = try! key.signature(for: Data(input.utf8))
        }
        return input + "." + HandSigned.base64URL(signature)
    }

    func token(_ claims: [String: Any]) -> String {
        sign(header: JSONText.of(["alg": alg, "typ": "JWT", "kid": kid]), payload: JSONText.of(claims))
    }
}

private enum JSONText {
    static func of(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// The provider's `jwks_uri` on loopback: the key set the test publishes, and a count of fetches.
private final class KeySetEndpoint: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var document: String
    private var served = 0

    init(keys: [[String: String]]) throws {
        document = JSONText.of(["keys": keys])
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 64) == 0 else { throw TestFailure("the key set endpoint could not listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in self.serve() }.start()
    }

    var url: String { "http://127.0.0.1:\(port)/protocol/openid-connect/certs" }
    var fetches: Int { lock.withLock { served } }
    func publish(_ keys: [[String: String]]) { lock.withLock { document = JSONText.of(["keys": keys]) } }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            Thread { [self] in self.answer(client) }.start()
        }
    }

    /// One request, one answer, then the connection is closed.
    private func answer(_ client: Int32) {
        defer { close(client) }
        var request = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
            let count = read(client, &chunk, chunk.count)
            if count <= 0 { return }
            request += chunk[0..<count]
        }
        let body = lock.withLock { () -> String in
            served += 1
            return document
        }
        let response = Array(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: public, max-age=300\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body).utf8)
        var sent = 0
        while sent < response.count {
            let count = response[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
    }
}
