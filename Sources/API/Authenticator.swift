import Contract
import Daemon
import HTTPServer
import Hummingbird
import Identity
import Logging
import Orders
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Who is calling, from the bearer token: 401 without a valid one, 403 for the wrong role.
/// A token verified once is remembered until it expires (clients send the same token with
/// every request; checking its signature each time was a visible share of an order's cost), and
/// a provider's token only while its key is still in the provider's key set.
public final class Authenticator: Sendable {
    let verifier: TokenVerifier
    private let verified = Mutex<[String: (actor: Actor, token: VerifiedToken)]>([:])
    private let capacity: Int

    public init(verifier: TokenVerifier, capacity: Int = 10_000) {
        self.verifier = verifier
        self.capacity = capacity
    }

    /// `baedal-api`'s, from its settings: with a provider, its key set fetched first. A key set
    /// that cannot be had at start is one line on stderr and exit 2, like any setting that cannot work.
    public static func starting(_ identity: IdentityConfiguration, logger: Logger) async -> Authenticator {
        do {
            return Authenticator(verifier: try await TokenVerifier.start(identity, logger: logger))
        } catch {
            ProcessSupport.fail("baedal-api: BAEDAL_JWKS_URL (\(identity.provider?.keySet.description.prefix(120) ?? "")): \(error)")
        }
    }

    func actor(_ request: Request) async throws -> Actor {
        guard let header = request.headers[.authorization] else { throw APIError(TokenError.missing) }
        let scheme = header.prefix(7)
        guard scheme.lowercased() == "bearer " else { throw APIError(TokenError.invalid("the Authorization header must be 'Bearer <token>'")) }
        let token = String(header.dropFirst(7))
        let now = time(nil)
        if let known = verified.withLock({ $0[token] }), known.token.expiresAtSeconds > now, verifier.stillTrusts(known.token) { return known.actor }
        let claims = try await verifier.verify(token)
        guard let role = Actor.Role(rawValue: claims.role) else { throw APIError(TokenError.unknownRole(claims.role)) }
        // Ids become keys and log fields: a token's must follow the same rule as every other id.
        if let problem = Identifier.problem(claims.subject) { throw APIError(TokenError.invalid("its sub \(problem)")) }
        if let store = claims.store, let problem = Identifier.problem(store) { throw APIError(TokenError.invalid("its store \(problem)")) }
        let actor = Actor(role: role, id: claims.subject, store: claims.store)
        verified.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[token] = (actor, claims)
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
