/// The claims of a token whose signature has been checked, read from the same tree the gate
/// read (`SignedToken.payload`). Nothing here is trusted: every value is checked for its type,
/// every date for being a date before any arithmetic, strings from the token are cut short in
/// messages.
struct TokenClaims {
    let payload: [String: TokenJSON]

    /// A few seconds of leeway on `nbf` for clocks that differ a little.
    static let notBeforeLeewaySeconds = 5.0

    /// `exp` is required and in the future, `nbf` (when present) not ahead of `now`.
    /// Returns `exp` in whole seconds.
    func checkTimes(now: Double) throws(TokenError) -> Int {
        guard let expires = try date("exp") else { throw .invalid("it has no exp") }
        guard expires > now else { throw .expired }
        if let notBefore = try date("nbf"), notBefore - Self.notBeforeLeewaySeconds > now { throw .notYetValid }
        return Int(expires.rounded(.down))
    }

    /// A NumericDate (RFC 7519: seconds, fractions allowed) between 1970 and the end of 9999; nil
    /// when the claim is absent. Beyond that it is not a date (`1e300`), and no arithmetic on it is safe.
    private func date(_ name: String) throws(TokenError) -> Double? {
        guard let value = payload[name] else { return nil }
        guard case .number(let seconds) = value, seconds.isFinite, seconds >= 0, seconds <= BaedalClaims.latestExpiry else {
            throw .invalid("\(name) is not a date before the year 10000")
        }
        return seconds
    }

    /// A claim that must be a string when present (nil when absent or null).
    func string(_ name: String) throws(TokenError) -> String? {
        try string(payload[name], named: name)
    }

    func string(_ value: TokenJSON?, named name: String) throws(TokenError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw .invalid("\(TokenError.quoted(name)) is not a string")
        }
    }

    /// `iss` must be exactly `issuer`: byte for byte (RFC 7519 compares StringOrURI values as
    /// they are; two Unicode spellings of one text are two issuers).
    func checkIssuer(_ issuer: String) throws(TokenError) {
        guard let iss = try string("iss"), !iss.isEmpty else { throw .invalid("it has no iss") }
        guard iss.utf8.elementsEqual(issuer.utf8) else { throw .wrongIssuer(iss) }
    }

    /// `aud`, a string or a list of strings, must name `audience` (byte for byte).
    func checkAudience(_ audience: String) throws(TokenError) {
        let names: [String]
        switch payload["aud"] {
        case nil: names = []
        case .string(let name)?: names = [name]
        case .array(let elements)?:
            names = try elements.map { element throws(TokenError) -> String in
                guard case .string(let name) = element else { throw .invalid("aud is not a string or a list of strings") }
                return name
            }
        default: throw .invalid("aud is not a string or a list of strings")
        }
        guard names.contains(where: { $0.utf8.elementsEqual(audience.utf8) }) else { throw .wrongAudience(names) }
    }

    /// The role at `path`: a string, or a list of strings from which our one role is taken.
    ///
    /// A provider's list mixes our roles with its own (Keycloak adds `offline_access`,
    /// `default-roles-…`): those are ignored. Exactly one of ours must remain. None of ours wins
    /// over another: two (an owner who is also a customer) are refused, because any order of
    /// precedence would silently take from someone a power they have or give them one they should
    /// not use with this token; the provider is asked to issue tokens with one role.
    func role(at path: ClaimPath) throws(TokenError) -> String {
        switch path.value(in: payload) {
        case nil, .null?: throw .invalid("it has no role claim \(TokenError.quoted(path.text))")
        case .string(let role)?: return role
        case .array(let elements)?:
            var ours: [String] = []
            for element in elements {
                guard case .string(let role) = element else { throw .invalid("\(TokenError.quoted(path.text)) is not a list of strings") }
                if TokenAuthority.roles.contains(role), !ours.contains(role) { ours.append(role) }
            }
            guard !ours.isEmpty else { throw .noRole(claim: path.text) }
            guard ours.count == 1 else { throw .ambiguousRole(claim: path.text, roles: ours.sorted()) }
            return ours[0]
        default: throw .invalid("\(TokenError.quoted(path.text)) is not a string or a list of strings")
        }
    }
}
