import Crypto
import CryptoExtras
import Foundation
import Identity
import Logging

/// `baedal-bench tokens`: what verifying one bearer token costs, per algorithm, with the keys
/// already held (the provider's set fetched once, as in a running API): HS256 against RS256,
/// ES256 and EdDSA in the same run. Each round verifies every algorithm's token in turn, so a
/// noisy neighbour slows them alike; the figure is the median round. The API's cache of verified
/// tokens is not in the way: this is the cost of a token the API has not seen yet.
struct TokenBench {
    let rounds: Int
    let verificationsPerRound: Int

    func run() async throws {
        let secret = "bench-secret-0123456789abcdef0123456789"
        let issuer = "https://login.bench.test/realms/baedal", audience = "baedal-api"
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let p256 = P256.Signing.PrivateKey()
        let ed25519 = Curve25519.Signing.PrivateKey()
        let modulus = try rsa.publicKey.getKeyPrimitives()
        let point = p256.publicKey.x963Representation.dropFirst()
        let keySet: [[String: String]] = [
            ["kty": "RSA", "kid": "rsa", "alg": "RS256", "use": "sig", "n": Self.base64URL(modulus.modulus), "e": Self.base64URL(modulus.publicExponent)],
            ["kty": "EC", "crv": "P-256", "kid": "ec", "alg": "ES256", "x": Self.base64URL(point.prefix(32)), "y": Self.base64URL(point.suffix(32))],
            ["kty": "OKP", "crv": "Ed25519", "kid": "ed", "alg": "EdDSA", "x": Self.base64URL(ed25519.publicKey.rawRepresentation)],
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-bench-jwks-\(getpid()).json")
        try JSONSerialization.data(withJSONObject: ["keys": keySet]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let configuration = try IdentityConfiguration(secret: secret, jwksURL: "file:" + file.path, issuer: issuer, audience: audience,
                                                      roleClaim: nil, storeClaim: nil)
        let verifier = try await TokenVerifier.start(configuration, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))

        // A customer's token of each kind, as a provider (or baedalctl) writes it.
        let expires = Int(Date().timeIntervalSince1970) + 3600
        let claims = #"{"sub":"bench-customer","role":"customer","iss":"\#(issuer)","aud":"\#(audience)","exp":\#(expires),"iat":\#(expires - 3600)}"#
        func token(_ alg: String, _ kid: String?, sign: (Data) throws -> Data) throws -> String {
            let header = kid.map { #"{"alg":"\#(alg)","typ":"JWT","kid":"\#($0)"}"# } ?? #"{"alg":"\#(alg)","typ":"JWT"}"#
            let input = Self.base64URL(Data(header.utf8)) + "." + Self.base64URL(Data(claims.utf8))
            return input + "." + Self.base64URL(try sign(Data(input.utf8)))
        }
        let tokens: [(String, String)] = [
            ("HS256", try token("HS256", nil) { Data(HMAC<SHA256>.authenticationCode(for: $0, using: SymmetricKey(data: Data(secret.utf8)))) }),
            ("RS256", try token("RS256", "rsa") { try rsa.signature(for: SHA256.hash(data: $0), padding: .insecurePKCS1v1_5).rawRepresentation }),
            ("ES256", try token("ES256", "ec") { try p256.signature(for: $0).rawRepresentation }),
            ("EdDSA", try token("EdDSA", "ed") { try ed25519.signature(for: $0) }),
        ]
        for (name, token) in tokens {
            guard (try? await verifier.verify(token)) != nil else { throw BenchFailure("the \(name) token does not verify: the figures would be void") }
            for _ in 0..<200 { _ = try await verifier.verify(token) }  // warm-up
        }

        var perRound: [String: [Double]] = [:]
        for _ in 0..<rounds {
            for (name, token) in tokens {
                let clock = ContinuousClock()
                let elapsed = try await clock.measure {
                    for _ in 0..<verificationsPerRound { _ = try await verifier.verify(token) }
                }
                perRound[name, default: []].append(Self.microseconds(elapsed) / Double(verificationsPerRound))
            }
        }
        let hs256 = Self.median(perRound["HS256"] ?? [])
        for (name, _) in tokens {
            let figures = (perRound[name] ?? []).sorted()
            let median = Self.median(figures)
            print(String(format: "tokens      %@  %7.1f µs per verification (median of %d rounds of %d, range %.1f…%.1f)%@",
                         name, median, rounds, verificationsPerRound, figures.first ?? 0, figures.last ?? 0,
                         name == "HS256" ? "" : String(format: ", %.0f× HS256", median / hs256)))
        }
    }

    struct BenchFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
