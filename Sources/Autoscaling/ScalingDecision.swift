/// One decision of the `Scaler` for one policy, with the figures behind it (what the log says).
public struct ScalingDecision: Sendable, Hashable {
    public enum Change: String, Sendable, Hashable {
        case up, down, none
    }

    /// The instances the policy should run now.
    public var wanted: Int
    /// What the backlog alone asks for now: `ceil(backlog / lagPerInstance)` within MIN…MAX.
    public var needed: Int
    /// `wanted` before this decision.
    public var previous: Int
    public var backlog: Backlog
    /// When `needed < wanted`: the moment (ms, the scaler's clock) the cool-down lets the extra
    /// instances go if the backlog stays this low.
    public var holdingUntil: Int64?

    public var change: Change { wanted > previous ? .up : wanted < previous ? .down : .none }
}
