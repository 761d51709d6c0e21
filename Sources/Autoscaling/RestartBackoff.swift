/// When an instance that keeps failing may be started again. An instance that ends on its own
/// before it `settles` (a configuration error that exits 2 at once, a crash at start) is a
/// failure: the next start waits `first`, doubling with each failure in a row up to `longest`,
/// instead of starting it again every interval. An instance that ran for `settles` or longer
/// resets the count: its end was an accident, not the deployment's state. Pure: the
/// autoscaler asks it with its own monotonic clock, the tests with theirs.
public struct RestartBackoff: Sendable, Hashable {
    public var firstMilliseconds: Int64
    public var longestMilliseconds: Int64
    public var settlesMilliseconds: Int64
    /// Failures in a row.
    public private(set) var failures = 0
    /// No start before this time, when failures hold starts back.
    public private(set) var nextStart: Int64?
    /// How the last failure ended and why (the instance's last words, when known).
    public private(set) var lastReason: String?

    public init(firstMilliseconds: Int64 = 1_000, longestMilliseconds: Int64 = 300_000, settlesMilliseconds: Int64 = 60_000) {
        precondition(firstMilliseconds > 0 && longestMilliseconds >= firstMilliseconds && settlesMilliseconds >= 0)
        self.firstMilliseconds = firstMilliseconds
        self.longestMilliseconds = longestMilliseconds
        self.settlesMilliseconds = settlesMilliseconds
    }

    /// Whether an instance may be started at `now`.
    public func mayStart(at now: Int64) -> Bool { nextStart.map { now >= $0 } ?? true }

    /// An instance started at `startedAt` ended on its own at `now`: returns whether this is news
    /// worth a log line (the first failure, or one whose reason differs from the last).
    @discardableResult
    public mutating func ended(startedAt: Int64?, at now: Int64, reason: String) -> Bool {
        if let startedAt, now - startedAt >= settlesMilliseconds { failures = 0 }
        failures += 1
        let doublings = Swift.min(failures - 1, 30)
        let delay = Swift.min(longestMilliseconds, firstMilliseconds.multipliedReportingOverflow(by: Int64(1) << doublings).partialValue)
        nextStart = now + (delay > 0 ? delay : longestMilliseconds)
        defer { lastReason = reason }
        return failures == 1 || reason != lastReason
    }

    /// An instance has run for `settles`: the failures are over.
    public mutating func settled() {
        failures = 0
        nextStart = nil
        lastReason = nil
    }
}
