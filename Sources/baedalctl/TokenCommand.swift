import ArgumentParser
import Backbone
import Contract
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
        abstract: "Print a bearer token (HS256 with BAEDAL_JWT_SECRET) for a customer, an owner, a rider or an operator."
    )

    @Option(help: "customer, owner, rider or operator")
    var role: String

    @Option(help: "the user's id (the token's sub)")
    var sub: String

    @Option(help: "the store an owner owns (required for owners)")
    var store: String?

    @Option(help: "how long the token is valid, in seconds")
    var ttl: Int = 24 * 3600

    func validate() throws {
        guard TokenAuthority.roles.contains(role) else { throw ValidationError("--role must be customer, owner, rider or operator, got '\(role)'") }
        guard !sub.isEmpty else { throw ValidationError("--sub must not be empty") }
        if role == "owner", store?.isEmpty ?? true { throw ValidationError("an owner's token needs --store") }
        try Self.check(ttl: ttl)
        try Self.check(id: sub, "--sub")
        if let store { try Self.check(id: store, "--store") }
    }

    func run() async throws {
        print(try await Self.issue(sub: sub, role: role, store: store, ttl: ttl))
    }

    static func check(ttl: Int) throws {
        guard (1...TokenAuthority.maxLifetimeSeconds).contains(ttl) else {
            throw ValidationError("--ttl must be 1…\(TokenAuthority.maxLifetimeSeconds) seconds (ten years), got \(ttl)")
        }
    }

    static func check(id: String, _ option: String) throws {
        if let problem = Identifier.problem(id) { throw ValidationError("\(option) \(problem)") }
    }

    /// A token signed with `BAEDAL_JWT_SECRET` (a usage error when it is missing or weak).
    static func issue(sub: String, role: String, store: String? = nil, ttl: Int) async throws -> String {
        let secret = ProcessInfo.processInfo.environment["BAEDAL_JWT_SECRET"]
        if let problem = TokenAuthority.problem(withSecret: secret) { throw ValidationError(problem) }
        let authority = await TokenAuthority(secret: secret!)
        return try await authority.issue(sub: sub, role: role, store: store, lifetime: TimeInterval(ttl))
    }
}
