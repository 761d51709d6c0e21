/// What a policy has not finished, as `baedalctl status` shows it, summed over the streams its
/// groups read: `lag` (entries not yet delivered to the group) and `pending` (delivered, not yet
/// acknowledged: instances hold them).
public struct Backlog: Sendable, Hashable {
    public var lag: Int
    public var pending: Int

    public init(lag: Int, pending: Int) {
        self.lag = lag
        self.pending = pending
    }

    public static let empty = Backlog(lag: 0, pending: 0)

    /// Everything still to do (saturating: Redis's counts are 64-bit, this sum cannot trap).
    public var total: Int {
        let (sum, overflow) = lag.addingReportingOverflow(pending)
        return overflow ? Int.max : sum
    }

    public static func + (a: Backlog, b: Backlog) -> Backlog {
        let (lag, lagOverflow) = a.lag.addingReportingOverflow(b.lag)
        let (pending, pendingOverflow) = a.pending.addingReportingOverflow(b.pending)
        return Backlog(lag: lagOverflow ? Int.max : lag, pending: pendingOverflow ? Int.max : pending)
    }
}
