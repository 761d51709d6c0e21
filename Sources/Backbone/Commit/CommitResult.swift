import Contract
/// What an atomic commit did.
public enum CommitResult: Sendable, Hashable {
    /// Written: the aggregate is now at `version`; `eventIds` are the new stream entries' ids.
    case committed(version: Int, eventIds: [String])
    /// Someone else changed the aggregate first; nothing was written.
    case conflict(currentVersion: Int)
    /// This idempotency key was used before; nothing was written.
    case duplicate(firstResult: String)
    /// The commit's `blockedBy` key exists; nothing was written.
    case blocked
}
