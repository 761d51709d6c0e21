import Foundation
import Identity
import Testing

/// Issue 18, item 7: the gate must see what the verifier sees. A header or payload that names a
/// member twice, at any depth and in any spelling, is refused with its own reason, for HS256 and
/// for a provider's tokens alike; the same token without the duplicate is accepted (so each refusal
/// is the duplicate's, not something else's).
@Suite("Duplicate members in a token")
struct DuplicateMemberTests {
    static let secret = Provider.secret
    static var future: Int { Int(Date().timeIntervalSince1970) + 3600 }

    @Test func theDuplicateAlgOfIssue18IsRefusedWhicheverComesFirst() async throws {
        let verifier = await TokenVerifier(secret: Self.secret)
        let payload = #"{"sub":"c1","role":"customer","exp":\#(Self.future)}"#
        for header in [#"{"alg":"none","alg":"HS256"}"#, #"{"alg":"HS256","alg":"none"}"#, #"{"alg":"HS256","alg":"HS256"}"#] {
            let token = HS256.sign(header: header, payload: payload, secret: Self.secret)
            #expect(await refusal(verifier, token) == .duplicateMember(.header, name: "alg", path: ""), "\(header)")
        }
        let once = HS256.sign(header: #"{"alg":"HS256"}"#, payload: payload, secret: Self.secret)
        #expect(await refusal(verifier, once) == nil)
    }

    @Test(arguments: [
        // (what, header, payload, part, name, path)
        ("typ twice", #"{"alg":"HS256","typ":"JWT","typ":"none"}"#, #"{"sub":"c1","role":"customer","exp":FUTURE}"#, TokenPart.header, "typ", ""),
        ("kid twice", #"{"alg":"HS256","kid":"a","kid":"b"}"#, #"{"sub":"c1","role":"customer","exp":FUTURE}"#, .header, "kid", ""),
        ("nested in the header", #"{"alg":"HS256","jwk":{"kty":"RSA","kty":"EC"}}"#, #"{"sub":"c1","role":"customer","exp":FUTURE}"#, .header, "kty", "jwk"),
        ("an escaped spelling", #"{"alg":"HS256","a\u006cg":"none"}"#, #"{"sub":"c1","role":"customer","exp":FUTURE}"#, .header, "alg", ""),
        ("role twice", #"{"alg":"HS256"}"#, #"{"sub":"c1","role":"customer","role":"operator","exp":FUTURE}"#, .payload, "role", ""),
        ("sub twice", #"{"alg":"HS256"}"#, #"{"sub":"c1","sub":"c2","role":"customer","exp":FUTURE}"#, .payload, "sub", ""),
        ("exp twice", #"{"alg":"HS256"}"#, #"{"sub":"c1","role":"customer","exp":1,"exp":FUTURE}"#, .payload, "exp", ""),
        ("deep in the payload", #"{"alg":"HS256"}"#, #"{"sub":"c1","role":"customer","exp":FUTURE,"a":[{"b":{"c":1,"c":2}}]}"#, .payload, "c", "a.b"),
        // NFC and NFD of one name: one name to a decoder that keys by String.
        ("two Unicode spellings", #"{"alg":"HS256"}"#, "{\"sub\":\"c1\",\"role\":\"customer\",\"exp\":FUTURE,\"\u{AC00}\":1,\"\u{1100}\u{1161}\":2}", .payload, "", ""),
    ])
    func anyDuplicateAtAnyDepthIsRefused(_ what: String, _ header: String, _ payload: String, _ part: TokenPart, _ name: String, _ path: String) async throws {
        let verifier = await TokenVerifier(secret: Self.secret)
        let token = HS256.sign(header: header, payload: payload.replacingOccurrences(of: "FUTURE", with: "\(Self.future)"), secret: Self.secret)
        let error = await refusal(verifier, token)
        guard case .duplicateMember(let refusedPart, let refusedName, let refusedPath)? = error else {
            Issue.record("\(what): \(String(describing: error))")
            return
        }
        #expect(refusedPart == part, "\(what)")
        if !name.isEmpty { #expect(refusedName == name && refusedPath == path, "\(what): \(refusedName) at \(refusedPath)") }
        #expect(error?.description.contains("twice") == true)
    }

    @Test func aProvidersTokenWithADuplicateIsRefusedToo() async throws {
        let server = try KeySetServer(Keys.all.map { $0.jwk() })
        let verifier = try await makeVerifier(server)
        let claims = JSONText.of(providerClaims()).dropLast() + #","role":"operator"}"#
        let token = Keys.rsa.sign(header: #"{"alg":"RS256","kid":"rsa-1"}"#, payload: String(claims))
        #expect(await refusal(verifier, token) == .duplicateMember(.payload, name: "role", path: ""))
        let roles = #"{"alg":"ES256","kid":"ec-1"}"#
        let nested = Keys.p256.sign(header: roles, payload: String(JSONText.of(providerClaims(extra: ["realm_access": ["x": 1]])).replacingOccurrences(of: #"{"x":1}"#, with: #"{"roles":["customer"],"roles":["operator"]}"#)))
        #expect(await refusal(verifier, nested) == .duplicateMember(.payload, name: "roles", path: "realm_access"))
    }

    @Test func theTreeIsReadStrictly() throws {
        func parse(_ text: String) -> Result<TokenJSON, TokenJSON.Problem> {
            do throws(TokenJSON.Problem) { return .success(try TokenJSON.parse(Array(text.utf8))) } catch { return .failure(error) }
        }
        #expect(try parse(#" {"a": [1, 2.5e3, -0, true, false, null, "x\"y\u00e9"], "b": {}} "#).get()
            == .object(["a": .array([.number(1), .number(2500), .number(0), .bool(true), .bool(false), .null, .string("x\"yé")]), "b": .object([:])]))
        for bad in [#"{"a":1,}"#, #"{"a":01}"#, "{\"a\":\"\u{1}\"}", #"{"a":"\ud800"}"#, #"[1] 2"#, String(repeating: "[", count: 100)] {
            guard case .failure(.malformed) = parse(bad) else { Issue.record("accepted \(bad)"); continue }
        }
        #expect(throws: TokenJSON.Problem.self) { try TokenJSON.parse([0x22, 0xFF, 0x22]) }  // not UTF-8
    }
}
