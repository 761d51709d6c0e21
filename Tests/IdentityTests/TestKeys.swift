import Crypto
import CryptoExtras
import Foundation

/// A signing key the test generates, as a provider holds it: its `kid`, the token algorithm, its
/// public JWK, and a signer of raw header and payload text (so tests can sign what no library
/// would write: duplicate members, `alg: none`, a wrong `kid`).
struct TestKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let kid: String
    let material: Material

    static func rsa(_ kid: String) -> TestKey { TestKey(kid: kid, material: .rsa(try! _RSA.Signing.PrivateKey(keySize: .bits2048))) }
    static func p256(_ kid: String) -> TestKey { TestKey(kid: kid, material: .p256(P256.Signing.PrivateKey())) }
    static func ed25519(_ kid: String) -> TestKey { TestKey(kid: kid, material: .ed25519(Curve25519.Signing.PrivateKey())) }

    var alg: String {
        switch material {
        case .rsa: "RS256"
        case .p256: "ES256"
        case .ed25519: "EdDSA"
        }
    }

    /// The public JWK, as a provider publishes it (`alg` left out when `withAlg` is false: its
    /// type then decides).
    func jwk(withAlg: Bool = true, extra: [String: String] = [:]) -> [String: String] {
        var jwk: [String: String] = ["kid": kid, "use": "sig"]
        if withAlg { jwk["alg"] = alg }
        switch material {
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            jwk["kty"] = "RSA"
            jwk["n"] = Base64URL.encode(primitives.modulus)
            jwk["e"] = Base64URL.encode(primitives.publicExponent)
        case .p256(let key):
            let point = key.publicKey.x963Representation.dropFirst()
            jwk["kty"] = "EC"
            jwk["crv"] = "P-256"
            jwk["x"] = Base64URL.encode(point.prefix(32))
            jwk["y"] = Base64URL.encode(point.suffix(32))
        case .ed25519(let key):
            jwk["kty"] = "OKP"
            jwk["crv"] = "Ed25519"
            jwk["x"] = Base64URL.encode(key.publicKey.rawRepresentation)
        }
        return jwk.merging(extra) { $1 }
    }

    /// The RSA public key in PEM: what an attacker uses as an HMAC secret in the key-confusion attack.
    var publicPEM: String {
        guard case .rsa(let key) = material else { return "" }
        return key.publicKey.pemRepresentation
    }

    /// A compact JWS of exactly this header and payload text, signed with this key.
    func sign(header: String, payload: String) -> String {
        let input = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(Data(payload.utf8))
        let signature: Data
        switch material {
        case .rsa(let key): signature = try! key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation
        case .p256(let key): signature = try! key.signature(for: Data(input.utf8)).rawRepresentation
        case .ed25519(let key): signature = try! key.signature(for: Data(input.utf8))
        }
        return input + "." + Base64URL.encode(signature)
    }

    /// A provider's token: this key's `alg` and `kid`, the claims given.
    func token(_ claims: [String: Any], kid: String? = nil, alg: String? = nil) -> String {
        sign(header: JSONText.of(["alg": alg ?? self.alg, "typ": "JWT", "kid": kid ?? self.kid]), payload: JSONText.of(claims))
    }
}

enum HS256 {
    static func sign(header: String, payload: String, secret: String) -> String {
        let input = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(Data(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + Base64URL.encode(Data(mac))
    }
}

enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

enum JSONText {
    static func of(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func keySet(_ keys: [[String: String]]) -> String { of(["keys": keys]) }
}

/// Claims a provider's customer token carries, valid for an hour.
func providerClaims(sub: String = "c-oidc", role: Any = "customer", issuer: String = Provider.issuer, audience: Any = Provider.audience,
                    extra: [String: Any] = [:]) -> [String: Any] {
    ["sub": sub, "role": role, "iss": issuer, "aud": audience, "exp": Int(Date().timeIntervalSince1970) + 3600,
     "iat": Int(Date().timeIntervalSince1970)].merging(extra) { $1 }
}

enum Provider {
    static let issuer = "https://login.baedal.test/realms/baedal"
    static let audience = "baedal-api"
    static let secret = "identity-tests-secret-0123456789abcdef"
}
