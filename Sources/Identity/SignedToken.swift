/// A compact JWS (`header.payload.signature`, RFC 7515) taken apart and read, not yet verified:
/// the bytes the signature covers, the signature, and the header and payload each read once
/// (`TokenJSON`). The header's gate runs here, on that reading: the algorithm must be one of
/// `accepted` (`none` never is), `crit` is refused (no extension is understood), `typ` must say
/// JWT when present. Keys the header offers (`jwk`, `jku`, `x5u`, `x5c`) are never used: keys come
/// from configuration only.
struct SignedToken: Sendable {
    /// Bigger than any real token (a provider's token with many roles is a few KiB), small enough
    /// that reading one is cheap.
    static let maxBytes = 16 * 1024
    static let maxKeyIDBytes = 256

    let signingInput: ArraySlice<UInt8>
    let signature: [UInt8]
    let header: [String: TokenJSON]
    let payload: [String: TokenJSON]
    let algorithm: TokenAlgorithm
    let keyID: String?

    init(_ token: String, accepting accepted: Set<TokenAlgorithm>) throws(TokenError) {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maxBytes else { throw .tooLarge(limit: Self.maxBytes) }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw .invalid("malformed: not three base64url parts separated by dots") }
        header = try Self.part(.header, bytes[..<dots[0]])

        guard case .string(let alg)? = header["alg"] else { throw .invalid("malformed: the header has no alg") }
        if alg.lowercased() == "none" { throw .unsigned }
        guard let algorithm = TokenAlgorithm(rawValue: alg), accepted.contains(algorithm) else {
            throw .algorithmNotAccepted(alg, accepted: accepted.sorted())
        }
        self.algorithm = algorithm
        guard header["crit"] == nil else { throw .invalid("the header asks for critical extensions (crit)") }
        if let typ = header["typ"] {
            guard case .string(let text) = typ, Self.acceptedTypes.contains(text.lowercased()) else {
                throw .invalid("the header's typ must be JWT")
            }
        }
        switch header["kid"] {
        case nil: keyID = nil
        case .string(let kid)?:
            guard !kid.isEmpty, kid.utf8.count <= Self.maxKeyIDBytes else { throw .invalid("the header's kid is empty or too long") }
            keyID = kid
        default: throw .invalid("the header's kid is not a string")
        }

        payload = try Self.part(.payload, bytes[(dots[0] + 1)..<dots[1]])
        guard let signature = Self.base64URLDecoded(bytes[(dots[1] + 1)...]), !signature.isEmpty else {
            throw .invalid("malformed: the signature is not base64url")
        }
        self.signature = signature
        signingInput = bytes[..<dots[1]]
    }

    /// `JWT` (RFC 7519) and `at+jwt` (an OAuth access token, RFC 9068), with or without `application/`.
    static let acceptedTypes: Set<String> = ["jwt", "application/jwt", "at+jwt", "application/at+jwt"]

    private static func part(_ part: TokenPart, _ encoded: ArraySlice<UInt8>) throws(TokenError) -> [String: TokenJSON] {
        guard let bytes = base64URLDecoded(encoded) else { throw .invalid("malformed: the \(part.rawValue) is not base64url") }
        let tree: TokenJSON
        do throws(TokenJSON.Problem) {
            tree = try TokenJSON.parse(bytes)
        } catch {
            switch error {
            case .malformed(let reason): throw .invalid("malformed \(part.rawValue): \(reason)")
            case .duplicateMember(let name, let path): throw .duplicateMember(part, name: name, path: path)
            }
        }
        guard case .object(let members) = tree else { throw .invalid("malformed: the \(part.rawValue) is not a JSON object") }
        return members
    }

    /// base64url without padding (RFC 7515), or nil.
    static func base64URLDecoded(_ text: ArraySlice<UInt8>) -> [UInt8]? {
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
}
