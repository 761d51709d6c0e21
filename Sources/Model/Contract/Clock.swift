#if canImport(Glibc)
import Glibc
#endif

/// Milliseconds since the epoch, the unit of every `at` in the contract.
@Sendable public func epochMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// Where time comes from, in ms since the epoch: `epochMilliseconds` in production, the test's
/// own in tests (the runtime's retry schedule, a use case's timestamps).
public typealias EpochClock = @Sendable () -> Int64
