import JSON
import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs and verifies HS256 tokens with `BAEDAL_JWT_SECRET`.
public struct TokenAuthority: Sendable {
    public static let roles: Set<String> = ["customer", "owner", "rider", "operator"]
    /// HS256 needs a key at least as long as its hash.
    public static let minimumSecretBytes = 32
    private let keys: JWTKeyCollection

    /// Checks a secret before use: one line saying what is wrong, or nil.
    public static func problem(withSecret secret: String?) -> String? {
        guard let secret, !secret.isEmpty else { return "BAEDAL_JWT_SECRET is not set: it is the HS256 key of the bearer tokens" }
        guard secret.utf8.count >= minimumSecretBytes else {
            return "BAEDAL_JWT_SECRET must be at least \(minimumSecretBytes) bytes for HS256, got \(secret.utf8.count)"
        }
        return nil
    }

    /// `secret` must pass `problem(withSecret:)`.
    public init(secret: String) async {
        precondition(Self.problem(withSecret: secret) == nil, "a weak or empty HS256 secret")
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// The longest a token may live: ten years.
    public static let maxLifetimeSeconds = 10 * 365 * 86_400

    /// A token for `sub` in `role`, valid for `lifetime` seconds (at most `maxLifetimeSeconds`).
    public func issue(sub: String, role: String, store: String? = nil, lifetime: TimeInterval = 24 * 3600) async throws -> String {
        guard lifetime > 0, lifetime <= TimeInterval(Self.maxLifetimeSeconds) else {
            throw TokenError.invalid("a token lives 1 to \(Self.maxLifetimeSeconds) seconds")
        }
        guard Self.roles.contains(role) else { throw TokenError.unknownRole(role) }
        if role == "owner", store?.isEmpty ?? true { throw TokenError.ownerWithoutStore }
        return try await keys.sign(BaedalClaims(sub: sub, role: role, expires: Date(timeIntervalSinceNow: lifetime), store: store))
    }

    /// The claims of a valid token; `TokenError` otherwise. The header must say `HS256` (a
    /// token that names another algorithm is refused whatever its signature), and must not ask
    /// for extensions this verifier does not know (`crit`).
    public func verify(_ token: String) async throws(TokenError) -> BaedalClaims {
        try Self.checkHeader(of: token)
        let claims: BaedalClaims
        do {
            claims = try await keys.verify(token, as: BaedalClaims.self)
        } catch {
            throw .invalid(Self.reason(error))
        }
        guard Self.roles.contains(claims.role) else { throw .unknownRole(claims.role) }
        if claims.role == "owner", claims.store?.isEmpty ?? true { throw .ownerWithoutStore }
        guard !claims.sub.value.isEmpty else { throw .invalid("sub is empty") }
        return claims
    }

    static func checkHeader(of token: String) throws(TokenError) {
        guard let dot = token.utf8.firstIndex(of: UInt8(ascii: ".")), token.utf8.distance(from: token.utf8.startIndex, to: dot) <= 1024,
              let header = base64URLDecoded(token.utf8[..<dot]) else { throw .invalid("malformed") }
        var alg: String?, typ: String?, crit = false
        let failure = header.withUnsafeBytes { bytes -> JSONReader.Failure? in
            do throws(JSONReader.Failure) {
                try JSONReader.read(bytes: bytes) { reader throws(JSONReader.Failure) in
                    try reader.readObject { reader, key throws(JSONReader.Failure) in
                        switch key {
                        case "alg": alg = try reader.readString()
                        case "typ": typ = try reader.readString()
                        case "crit": crit = true; try reader.skipValue()
                        default: try reader.skipValue()
                        }
                    }
                }
                return nil
            } catch {
                return error
            }
        }
        if failure != nil { throw .invalid("malformed header") }
        guard alg == "HS256" else { throw .invalid("the header's alg must be HS256") }
        if let typ, typ.uppercased() != "JWT" { throw .invalid("the header's typ must be JWT") }
        guard !crit else { throw .invalid("the header asks for critical extensions") }
    }

    /// base64url without padding (RFC 7515), or nil.
    static func base64URLDecoded(_ text: Substring.UTF8View) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var buffer: UInt32 = 0, bits = 0
        for byte in text {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: return nil
            }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return bits >= 6 ? nil : output
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? JWTError {
            switch error.errorType {
            case .claimVerificationFailure: return error.reason ?? "expired"
            case .signatureVerificationFailed: return "bad signature"
            default: return "malformed"
            }
        }
        return "malformed"
    }
}
