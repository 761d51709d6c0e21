import Contract
import HTTPServer
import Hummingbird
import Identity
import Orders
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Who is calling, from the bearer token: 401 without a valid one, 403 for the wrong role.
/// A token verified once is remembered until it expires (clients send the same token with
/// every request; checking its signature each time was a visible share of an order's cost).
public final class Authenticator: Sendable {
    let authority: TokenAuthority
    private let verified = Mutex<[String: (actor: Actor, expires: Int)]>([:])
    private let capacity: Int

    public init(authority: TokenAuthority, capacity: Int = 10_000) {
        self.authority = authority
        self.capacity = capacity
    }

    func actor(_ request: Request) async throws -> Actor {
        guard let header = request.headers[.authorization] else { throw APIError(TokenError.missing) }
        let scheme = header.prefix(7)
        guard scheme.lowercased() == "bearer " else { throw APIError(TokenError.invalid("the Authorization header must be 'Bearer <token>'")) }
        let token = String(header.dropFirst(7))
        let now = time(nil)
        if let known = verified.withLock({ $0[token] }), known.expires > now { return known.actor }
        let claims = try await authority.verify(token)
        guard let role = Actor.Role(rawValue: claims.role) else { throw APIError(TokenError.unknownRole(claims.role)) }
        // Ids become keys and log fields: a token's must follow the same rule as every other id.
        if let problem = Identifier.problem(claims.sub.value) { throw APIError(TokenError.invalid("its sub \(problem)")) }
        if let store = claims.store, let problem = Identifier.problem(store) { throw APIError(TokenError.invalid("its store \(problem)")) }
        let actor = Actor(role: role, id: claims.sub.value, store: claims.store)
        let expires = claims.expiresAtSeconds
        verified.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[token] = (actor, expires)
        }
        return actor
    }

    func actor(_ request: Request, in roles: Actor.Role...) async throws -> Actor {
        let actor = try await actor(request)
        guard roles.contains(actor.role) else {
            throw APIError.forbidden("this needs the role \(roles.map(\.rawValue).joined(separator: " or ")); the token is \(actor.role == .owner || actor.role == .operator ? "an" : "a") \(actor.role.rawValue)'s")
        }
        return actor
    }
}
