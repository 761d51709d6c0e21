import Autoscaling
import Testing

/// An instance that keeps failing is started again after a growing pause, not every interval
/// (issue 18, item 10); one that ran long enough resets it. The clock is the test's.
@Suite("Restart back-off")
struct RestartBackoffTests {
    @Test func pausesDoubleWhileInstancesKeepFailing() {
        var backoff = RestartBackoff(firstMilliseconds: 500, longestMilliseconds: 4_000, settlesMilliseconds: 60_000)
        #expect(backoff.mayStart(at: 0))
        var now: Int64 = 0
        var pauses: [Int64] = []
        for _ in 0..<6 {
            backoff.ended(startedAt: now, at: now + 100, reason: "exit 2 (a configuration error)")
            now += 100
            let next = try! #require(backoff.nextStart)
            #expect(!backoff.mayStart(at: next - 1))
            #expect(backoff.mayStart(at: next))
            pauses.append(next - now)
            now = next
        }
        #expect(pauses == [500, 1_000, 2_000, 4_000, 4_000, 4_000])
        #expect(backoff.failures == 6)
    }

    /// At `--interval 0.5` a worker that exits 2 at once was started 60 times in 15 s.
    @Test func aFailingWorkerIsStartedAHandfulOfTimesInFifteenSeconds() {
        var backoff = RestartBackoff(firstMilliseconds: 1_000)
        var starts = 0
        var now: Int64 = 0
        while now < 15_000 {
            if backoff.mayStart(at: now) {
                starts += 1
                backoff.ended(startedAt: now, at: now + 50, reason: "exit 2")
            }
            now += 500
        }
        #expect(starts <= 5, "\(starts) starts")
    }

    @Test func onlyNewsIsWorthALogLine() {
        var backoff = RestartBackoff()
        let first = backoff.ended(startedAt: 0, at: 10, reason: "exit 2: bad webhook")
        let again = backoff.ended(startedAt: 2_000, at: 2_010, reason: "exit 2: bad webhook")
        let other = backoff.ended(startedAt: 5_000, at: 5_010, reason: "signal 9 (killed)")
        #expect(first && !again && other)
    }

    @Test func anInstanceThatRanLongEnoughStartsAfresh() {
        var backoff = RestartBackoff(firstMilliseconds: 1_000, settlesMilliseconds: 60_000)
        backoff.ended(startedAt: 0, at: 10, reason: "exit 1")
        backoff.ended(startedAt: 1_010, at: 1_020, reason: "exit 1")
        #expect(backoff.failures == 2)
        backoff.ended(startedAt: 3_020, at: 100_000, reason: "exit 1")  // it ran 97 s first
        #expect(backoff.failures == 1)
        backoff.settled()
        #expect(backoff.failures == 0 && backoff.mayStart(at: 0))
    }
}
