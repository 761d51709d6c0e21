import Contract
import Numbers

/// When a message whose handling failed is delivered again: `first` after its first failed
/// delivery, then doubling up to `max` (`BAEDAL_RETRY_FIRST_MS`, `BAEDAL_RETRY_MAX_MS`). With the
/// defaults (1 s, 10 min) and 25 deliveries a message is tried for about 2 h 47 min before it is
/// dead-lettered: an outage of the gateway or a webhook receiver shorter than that loses nothing.
/// Pure: the worker asks it, the tests run it on a fake clock.
public struct RetrySchedule: Sendable, Hashable {
    public var firstMilliseconds: Int
    public var maxMilliseconds: Int

    public init(firstMilliseconds: Int = 1_000, maxMilliseconds: Int = 600_000) {
        precondition(firstMilliseconds > 0 && maxMilliseconds >= firstMilliseconds, "a retry schedule grows from a positive first delay")
        self.firstMilliseconds = firstMilliseconds
        self.maxMilliseconds = maxMilliseconds
    }

    /// The wait before the next delivery of a message whose `deliveries`-th delivery failed.
    public func delay(afterDelivery deliveries: Int) -> Int {
        let doublings = max(0, deliveries.clampedSubtracting(1))  // a count read from Redis
        // Doubling past the cap (or past 2^40) only ever meets the cap: stop before it overflows.
        guard doublings < 40 else { return maxMilliseconds }
        return min(maxMilliseconds, firstMilliseconds << doublings)
    }

    /// When the next delivery is due, for a failure seen at `now` (ms since the epoch).
    public func due(afterDelivery deliveries: Int, now: Int64) -> Int64 {
        now + Int64(delay(afterDelivery: deliveries))
    }

    /// How long a message that keeps failing is retried before its last (`maxDeliveries`-th) delivery.
    public func span(maxDeliveries: Int) -> Int {
        (1..<max(1, maxDeliveries)).reduce(0) { $0 + delay(afterDelivery: $1) }
    }
}
