import ArgumentParser
import Backbone
import Identity

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `baedalctl token --role R --sub ID [--store S]`: a bearer token for the configured secret.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a bearer token (HS256 with BAEDAL_JWT_SECRET) for a customer, an owner or a rider."
    )

    @Option(help: "customer, owner or rider")
    var role: String

    @Option(help: "the user's id (the token's sub)")
    var sub: String

    @Option(help: "the store an owner owns (required for owners)")
    var store: String?

    @Option(help: "how long the token is valid, in seconds")
    var ttl: Int = 24 * 3600

    func validate() throws {
        guard TokenAuthority.roles.contains(role) else { throw ValidationError("--role must be customer, owner or rider, got '\(role)'") }
        guard !sub.isEmpty else { throw ValidationError("--sub must not be empty") }
        if role == "owner", store?.isEmpty ?? true { throw ValidationError("an owner's token needs --store") }
        guard (1...TokenAuthority.maxLifetimeSeconds).contains(ttl) else {
            throw ValidationError("--ttl must be 1…\(TokenAuthority.maxLifetimeSeconds) seconds (ten years), got \(ttl)")
        }
        if let problem = Identifier.problem(sub) { throw ValidationError("--sub \(problem) (ids are \(Identifier.rule))") }
        if let store, let problem = Identifier.problem(store) { throw ValidationError("--store \(problem) (ids are \(Identifier.rule))") }
    }

    func run() async throws {
        let secret = ProcessInfo.processInfo.environment["BAEDAL_JWT_SECRET"]
        if let problem = TokenAuthority.problem(withSecret: secret) { throw ValidationError(problem) }
        let authority = await TokenAuthority(secret: secret!)
        print(try await authority.issue(sub: sub, role: role, store: store, lifetime: TimeInterval(ttl)))
    }
}
