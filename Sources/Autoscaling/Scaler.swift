/// The autoscaler's one decision for one policy, without I/O: backlogs over time in, the number of
/// instances to run out.
///
/// - `needed(t) = ceil(backlog(t) / lagPerInstance)`, held within MIN…MAX;
/// - `wanted` is the largest `needed` of the last `coolDown`.
///
/// So a rise counts at once (the newest `needed` is part of the window), a fall only once the
/// backlog has stayed low for the whole cool-down, and a noisy backlog keeps its peaks: the
/// count never flaps. It is Kubernetes' HPA rule with a scale-down stabilisation window.
public struct Scaler: Sendable {
    public let rule: ScalingRule
    public let lagPerInstance: Int
    public let coolDownMilliseconds: Int64
    /// `needed` per observation within the cool-down, oldest first.
    private var window: [(at: Int64, needed: Int)] = []
    public private(set) var wanted: Int

    /// `running` instances found at `now` (an autoscaler restarted over a running fleet) count as
    /// needed at `now`, so they are not cut before a cool-down has passed.
    public init(rule: ScalingRule, lagPerInstance: Int, coolDownMilliseconds: Int64, running: Int = 0, at now: Int64) {
        precondition(lagPerInstance > 0 && coolDownMilliseconds >= 0)
        self.rule = rule
        self.lagPerInstance = lagPerInstance
        self.coolDownMilliseconds = coolDownMilliseconds
        wanted = rule.clamp(running)
        window = [(now, wanted)]
    }

    /// `ceil(backlog / lagPerInstance)` within MIN…MAX.
    public func needed(for backlog: Backlog) -> Int {
        let total = backlog.total
        guard total > 0 else { return rule.clamp(0) }
        let instances = total / lagPerInstance + (total % lagPerInstance == 0 ? 0 : 1)
        return rule.clamp(instances)
    }

    /// Takes the backlog seen at `now` (ms on a monotonic clock) and decides.
    public mutating func observe(_ backlog: Backlog, at now: Int64) -> ScalingDecision {
        let needed = needed(for: backlog)
        let horizon = now - coolDownMilliseconds
        window.removeAll { $0.at < horizon || $0.at > now }
        window.append((now, needed))
        let previous = wanted
        wanted = window.map(\.needed).max() ?? needed
        var holdingUntil: Int64?
        if needed < wanted {
            // The newest observation that still asks for more than `needed` leaves the window last.
            let last = window.last { $0.needed > needed }?.at ?? now
            holdingUntil = last + coolDownMilliseconds
        }
        return ScalingDecision(wanted: wanted, needed: needed, previous: previous, backlog: backlog, holdingUntil: holdingUntil)
    }
}
