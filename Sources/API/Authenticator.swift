import Hummingbird
import Identity
import Orders

/// Who is calling, from the bearer token: 401 without a valid one, 403 for the wrong role.
public struct Authenticator: Sendable {
    let authority: TokenAuthority

    public init(authority: TokenAuthority) {
        self.authority = authority
    }

    func actor(_ request: Request) async throws -> Actor {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        let scheme = header.prefix(7)
        guard scheme.lowercased() == "bearer " else { throw APIError(TokenError.invalid("the Authorization header must be 'Bearer <token>'")) }
        let claims = try await authority.verify(String(header.dropFirst(7)))
        guard let role = Actor.Role(rawValue: claims.role) else { throw APIError(TokenError.unknownRole(claims.role)) }
        return Actor(role: role, id: claims.sub.value, store: claims.store)
    }

    func actor(_ request: Request, in roles: Actor.Role...) async throws -> Actor {
        let actor = try await actor(request)
        guard roles.contains(actor.role) else {
            throw APIError.forbidden("this needs the role \(roles.map(\.rawValue).joined(separator: " or ")); the token is \(actor.role == .owner ? "an" : "a") \(actor.role.rawValue)'s")
        }
        return actor
    }
}
