/// Where a claim is in a token's payload, as `BAEDAL_JWT_ROLE_CLAIM` and `BAEDAL_JWT_STORE_CLAIM`
/// name it: a member (`role`) or a dotted path into nested objects (`realm_access.roles`, as
/// Keycloak puts its roles). A member whose own name holds dots (Auth0's namespaced claims such as
/// `https://baedal.example/role`) is found under that whole name first; only when the payload has
/// no such member is the name read as a path.
public struct ClaimPath: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    let segments: [String]

    public static let maxBytes = 200

    /// Nil when `text` names nothing: empty, too long, a control character or space, or an empty
    /// segment (`.roles`, `a..b`).
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= Self.maxBytes,
              !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        let segments = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !segments.contains(where: \.isEmpty) else { return nil }
        self.text = text
        self.segments = segments
    }

    public var description: String { text }

    /// The claim's value in `payload`, or nil when it is not there.
    func value(in payload: [String: TokenJSON]) -> TokenJSON? {
        if let whole = payload[text] { return whole }
        guard segments.count > 1 else { return nil }
        var members = payload
        for segment in segments.dropLast() {
            guard case .object(let inner)? = members[segment] else { return nil }
            members = inner
        }
        return members[segments[segments.count - 1]]
    }
}
