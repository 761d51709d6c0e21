/// Why a consumer group's worker stopped by itself rather than on a signal.
public enum WorkerStopped: Error, Sendable, Hashable, CustomStringConvertible {
    /// The store refused this daemon's user a command or key it needs (a Redis ACL's `NOPERM`).
    case forbidden(policy: String, reason: String)

    public var description: String {
        switch self {
        case .forbidden(let policy, let reason):
            "\(policy): Redis refuses this daemon's user a command or key it needs (\(reason)): fix the user's ACL (baedalctl acl)"
        }
    }
}
