import ArgumentParser
import Operations

/// `baedalctl acl [--prefix P]`: the Redis ACL file of a deployment, a user per daemon
/// (`AccessRules`; `ops/redis/users.acl` is its output for `baedal`).
struct AclCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Print the Redis ACL file for a prefix: a user per daemon with only the commands and keys it needs.",
        discussion: """
        One 'user NAME rule...' line per daemon (baedal-api, baedal-payment, baedal-<policy>, baedalctl, baedal-autoscaler), \
        keys given for both layouts (PREFIX:<key> untagged, PREFIX:{k}:<key> tagged); ~ read and write, %R~ read only. \
        The file has no comments because Redis's ACL file allows none. THE PASSWORDS ARE PLACEHOLDERS for make run ACL=1 \
        and the tests: production replaces each >password with its own (or #<sha256>) and gives each daemon its password \
        as a systemd credential. The default user is not defined: make run keeps it, production turns it off. \
        Load with redis-server --aclfile FILE or ACL LOAD; on a cluster or behind Sentinel, on every node.
        """
    )

    @Option(help: "the deployment's key prefix (BAEDAL_PREFIX)")
    var prefix = "baedal"

    func validate() throws {
        guard !prefix.isEmpty, !prefix.contains(where: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == ":" }) else {
            throw ValidationError("--prefix must be non-empty, without spaces or ':'")
        }
    }

    func run() async throws {
        print(AccessRules.file(prefix: prefix), terminator: "")
    }
}
