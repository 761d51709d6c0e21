import Contract
import Daemon
import Logging

/// What a daemon's policies are made from.
public struct PolicyContext: Sendable {
    public var environment: BaedalEnvironment
    public var variables: [String: String]
    public var logger: Logger

    public init(environment: BaedalEnvironment, variables: [String: String], logger: Logger) {
        self.environment = environment
        self.variables = variables
        self.logger = logger
    }

    var keys: Keys { environment.keys }

    /// A non-empty setting, or nil.
    func setting(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
}
