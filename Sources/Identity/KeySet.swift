import JWTKit

/// A provider's JSON Web Key Set (RFC 7517) as this API can use it: for each `kid`, one public key
/// and the one algorithm it verifies.
///
/// The set is read here rather than by `JWTKeyCollection.add(jwksJSON:)` for three reasons: one key
/// this API cannot use (an encryption key, a curve jwt-kit does not know) must not make the whole
/// set unreadable, as it does in jwt-kit's decoder; a key without `alg` must get its algorithm from
/// its type (jwt-kit lets the first token's `alg` decide it); and the set must never have a default
/// key that a token with an unknown `kid` falls back to. jwt-kit still makes every key and checks
/// every signature.
public struct KeySet: Sendable {
    public struct Key: Sendable {
        public let id: String
        public let algorithm: TokenAlgorithm
        let verifier: any JWTAlgorithm
    }

    public private(set) var keys: [String: Key] = [:]
    /// The keys of the set this API does not use, each with why (logged when the set is read).
    public private(set) var skipped: [String] = []

    /// A set of more keys than this is refused (providers publish two or three).
    public static let maxKeys = 100

    public var isEmpty: Bool { keys.isEmpty }
    public var keyIDs: [String] { keys.keys.sorted() }

    /// Reads a key set document. Malformed JSON, no `keys` list or too many keys: the whole set is
    /// refused; a key that cannot be used is skipped with its reason.
    public static func read(_ document: [UInt8]) async throws(KeySetError) -> KeySet {
        let tree: TokenJSON
        do throws(TokenJSON.Problem) {
            tree = try TokenJSON.parse(document)
        } catch {
            switch error {
            case .malformed(let reason): throw .malformed(reason)
            case .duplicateMember(let name, let path): throw .malformed("the member '\(name.prefix(40))'\(path.isEmpty ? "" : " of '\(path.prefix(40))'") appears twice")
            }
        }
        guard case .array(let entries)? = tree.object?["keys"] else { throw .malformed("it has no \"keys\" list") }
        guard entries.count <= maxKeys else { throw .malformed("it holds \(entries.count) keys, more than \(maxKeys)") }

        var set = KeySet()
        var candidates: [(id: String, algorithm: TokenAlgorithm, make: @Sendable (JWTKeyCollection, JWKIdentifier) async -> Void)] = []
        for (position, entry) in entries.enumerated() {
            switch Self.candidate(entry) {
            case .success(let candidate): candidates.append(candidate)
            case .failure(let reason):
                let kid = entry.object?["kid"]?.string.map { "'\($0.prefix(40))'" } ?? "#\(position + 1)"
                set.skipped.append("key \(kid): \(reason.text)")
            }
        }
        // Two keys under one kid: neither is used, since a token could not say which it means.
        var seen: [String: Int] = [:]
        for candidate in candidates { seen[candidate.id, default: 0] += 1 }
        let collection = JWTKeyCollection()
        for candidate in candidates {
            guard seen[candidate.id] == 1 else {
                set.skipped.append("key '\(candidate.id.prefix(40))': its kid names more than one key")
                continue
            }
            let kid = JWKIdentifier(string: candidate.id)
            await candidate.make(collection, kid)
            guard let verifier = try? await collection.getKey(for: kid), verifier.name == candidate.algorithm.rawValue else {
                set.skipped.append("key '\(candidate.id.prefix(40))': jwt-kit could not make its \(candidate.algorithm.rawValue) key")
                continue
            }
            set.keys[candidate.id] = Key(id: candidate.id, algorithm: candidate.algorithm, verifier: verifier)
        }
        return set
    }

    private struct Skip: Error { let text: String; init(_ text: String) { self.text = text } }

    /// One JWK as a key this API can use, or why not.
    private static func candidate(_ entry: TokenJSON)
        -> Result<(id: String, algorithm: TokenAlgorithm, make: @Sendable (JWTKeyCollection, JWKIdentifier) async -> Void), Skip>
    {
        guard let jwk = entry.object else { return .failure(Skip("not a JSON object")) }
        guard let kid = jwk["kid"]?.string, !kid.isEmpty, kid.utf8.count <= SignedToken.maxKeyIDBytes else {
            return .failure(Skip("no kid (keys are chosen by kid)"))
        }
        if let use = jwk["use"] {
            guard use.string == "sig" else { return .failure(Skip("its use is not sig")) }
        }
        if let operations = jwk["key_ops"] {
            guard case .array(let list) = operations, list.contains(.string("verify")) else { return .failure(Skip("its key_ops do not include verify")) }
        }
        // A private part published with the public key: anyone could sign with it.
        for member in ["d", "p", "q", "dp", "dq", "qi", "k"] where jwk[member] != nil {
            return .failure(Skip("it publishes private key material (\(member)); never used"))
        }
        let declared = jwk["alg"]?.string
        func algorithm(_ natural: TokenAlgorithm) -> Result<TokenAlgorithm, Skip> {
            guard let declared, declared != natural.rawValue else { return .success(natural) }
            return .failure(Skip("alg \(declared.prefix(20)) is not one this API verifies with a \(jwk["kty"]?.string ?? "") key"))
        }
        switch jwk["kty"]?.string {
        case "RSA":
            guard let n = jwk["n"]?.string, let e = jwk["e"]?.string else { return .failure(Skip("an RSA key without n and e")) }
            let key: Insecure.RSA.PublicKey
            do { key = try Insecure.RSA.PublicKey(modulus: n, exponent: e) } catch { return .failure(Skip("not a usable RSA public key (2048 bits at least)")) }
            return algorithm(.rs256).map { (kid, $0, { collection, id in await collection.add(rsa: key, digestAlgorithm: .sha256, kid: id) }) }
        case "EC":
            guard jwk["crv"]?.string == "P-256" else { return .failure(Skip("an EC key on another curve than P-256")) }
            guard let x = jwk["x"]?.string, let y = jwk["y"]?.string else { return .failure(Skip("an EC key without x and y")) }
            let key: ES256PublicKey
            do { key = try ES256PublicKey(parameters: (x: x, y: y)) } catch { return .failure(Skip("not a point of P-256")) }
            return algorithm(.es256).map { (kid, $0, { collection, id in await collection.add(ecdsa: key, kid: id) }) }
        case "OKP":
            guard jwk["crv"]?.string == "Ed25519" else { return .failure(Skip("an OKP key on another curve than Ed25519")) }
            guard let x = jwk["x"]?.string else { return .failure(Skip("an Ed25519 key without x")) }
            let key: EdDSA.PublicKey
            do { key = try EdDSA.PublicKey(x: x, curve: .ed25519) } catch { return .failure(Skip("not an Ed25519 public key")) }
            return algorithm(.edDSA).map { (kid, $0, { collection, id in await collection.add(eddsa: key, kid: id) }) }
        case let kty?:
            return .failure(Skip("kty \(kty.prefix(20)) is not RSA, EC or OKP"))
        case nil:
            return .failure(Skip("no kty"))
        }
    }
}
