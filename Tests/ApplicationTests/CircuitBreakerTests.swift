import Contract
import Application
import Synchronization
import Testing

/// The circuit breaker on a clock the test moves.
@Suite("Circuit breaker")
struct CircuitBreakerTests {
    final class FakeClock: Sendable {
        let now = Mutex(ContinuousClock.now)
        func advance(_ duration: Duration) { now.withLock { $0 += duration } }
        var read: @Sendable () -> ContinuousClock.Instant { { self.now.withLock { $0 } } }
    }

    @Test func opensAfterConsecutiveFailuresProbesOnceAndClosesOnSuccess() {
        let clock = FakeClock()
        let changes = Mutex<[CircuitBreaker.State]>([])
        let breaker = CircuitBreaker(settings: .init(failureThreshold: 3, openDuration: .seconds(5)), clock: clock.read,
                                     onChange: { state in changes.withLock { $0.append(state) } })
        for _ in 1...2 {
            #expect(breaker.acquire() == .allowed)
            breaker.failed()
        }
        #expect(breaker.acquire() == .allowed)
        breaker.succeeded()  // a success resets the count
        for _ in 1...3 {
            #expect(breaker.acquire() == .allowed)
            breaker.failed()
        }
        #expect(breaker.state == .open)
        clock.advance(.seconds(2))
        #expect(breaker.acquire() == .refused(retryAfter: .seconds(3)))
        clock.advance(.seconds(3))
        #expect(breaker.acquire() == .allowed)  // the probe
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire() == .refused(retryAfter: .seconds(5)))  // one probe at a time
        breaker.succeeded()
        #expect(breaker.state == .closed)
        #expect(breaker.acquire() == .allowed)
        #expect(changes.withLock { $0 } == [.open, .halfOpen, .closed])
    }

    @Test func aFailedProbeOpensItAgain() {
        let clock = FakeClock()
        let breaker = CircuitBreaker(settings: .init(failureThreshold: 1, openDuration: .seconds(1)), clock: clock.read)
        _ = breaker.acquire()
        breaker.failed()
        clock.advance(.seconds(1))
        #expect(breaker.acquire() == .allowed)
        breaker.failed()
        #expect(breaker.state == .open)
        #expect(breaker.acquire() == .refused(retryAfter: .seconds(1)))
    }

    @Test func aProbeThatNeverReportsIsGivenUp() {
        let clock = FakeClock()
        let breaker = CircuitBreaker(settings: .init(failureThreshold: 1, openDuration: .seconds(1)), clock: clock.read)
        _ = breaker.acquire()
        breaker.failed()
        clock.advance(.seconds(1))
        #expect(breaker.acquire() == .allowed)  // never reported back
        clock.advance(.seconds(1))
        #expect(breaker.acquire() == .allowed)
    }
}
