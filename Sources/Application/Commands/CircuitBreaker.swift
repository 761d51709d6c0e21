import Synchronization

/// Guards calls to a dependency that may be slow or down. Closed: calls pass, consecutive
/// failures are counted. After `failureThreshold` of them it opens: calls are refused at once
/// for `openDuration`. Then one probe is let through (half-open): success closes the circuit,
/// failure opens it again. Pure state and a clock; the caller makes the calls.
public final class CircuitBreaker: Sendable {
    public struct Settings: Sendable, Hashable {
        public var failureThreshold: Int
        public var openDuration: Duration

        public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(5)) {
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
        }
    }

    public enum State: String, Sendable, Hashable {
        case closed, open, halfOpen = "half-open"
    }

    public enum Permission: Sendable, Hashable {
        /// Make the call and report how it went.
        case allowed
        /// Do not call; try again after this long.
        case refused(retryAfter: Duration)
    }

    private struct Inner {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: ContinuousClock.Instant?
        var probeInFlight = false
        var probeStartedAt: ContinuousClock.Instant?
    }

    public let settings: Settings
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let inner = Mutex(Inner())
    private let onChange: @Sendable (State) -> Void

    public init(settings: Settings = Settings(), clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                onChange: @escaping @Sendable (State) -> Void = { _ in }) {
        self.settings = settings
        self.clock = clock
        self.onChange = onChange
    }

    public var state: State { inner.withLock { $0.state } }

    /// Asks to make a call. Every `.allowed` must be followed by `succeeded()` or `failed()`.
    public func acquire() -> Permission {
        let now = clock()
        let (permission, changed) = inner.withLock { inner -> (Permission, State?) in
            switch inner.state {
            case .closed:
                return (.allowed, nil)
            case .open:
                let reopensAt = inner.openedAt! + settings.openDuration
                if now < reopensAt { return (.refused(retryAfter: reopensAt - now), nil) }
                inner.state = .halfOpen
                inner.probeInFlight = true
                inner.probeStartedAt = now
                return (.allowed, .halfOpen)
            case .halfOpen:
                // One probe at a time; a probe that never reported back is given up after a while.
                if inner.probeInFlight, let started = inner.probeStartedAt, now < started + settings.openDuration {
                    return (.refused(retryAfter: started + settings.openDuration - now), nil)
                }
                inner.probeInFlight = true
                inner.probeStartedAt = now
                return (.allowed, nil)
            }
        }
        if let changed { onChange(changed) }
        return permission
    }

    /// The call answered (a business refusal such as a declined card is an answer too).
    public func succeeded() {
        let changed = inner.withLock { inner -> State? in
            inner.consecutiveFailures = 0
            inner.probeInFlight = false
            guard inner.state != .closed else { return nil }
            inner.state = .closed
            inner.openedAt = nil
            return .closed
        }
        if let changed { onChange(changed) }
    }

    /// The call failed or timed out.
    public func failed() {
        let now = clock()
        let changed = inner.withLock { inner -> State? in
            inner.consecutiveFailures += 1
            inner.probeInFlight = false
            switch inner.state {
            case .halfOpen:
                inner.state = .open
                inner.openedAt = now
                return .open
            case .closed where inner.consecutiveFailures >= settings.failureThreshold:
                inner.state = .open
                inner.openedAt = now
                return .open
            default:
                return nil
            }
        }
        if let changed { onChange(changed) }
    }
}
