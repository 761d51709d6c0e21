import Autoscaling
import Contract
import Daemon

/// What `baedal-autoscaler`'s command line says.
public struct AutoscalerSettings: Sendable {
    public var rules: [ScalingRule]
    public var lagPerInstance: Int
    public var interval: Duration
    public var coolDown: Duration
    public var keys: Keys

    public init(rules: [ScalingRule], lagPerInstance: Int, interval: Duration, coolDown: Duration, keys: Keys) {
        self.rules = rules
        self.lagPerInstance = lagPerInstance
        self.interval = interval
        self.coolDown = coolDown
        self.keys = keys
    }

    /// `<prefix>:autoscaler`, the hash of `AutoscalerView`s.
    public var viewKey: String { keys.key("autoscaler") }

    var intervalMilliseconds: Int { Int(interval.milliseconds) }
    var coolDownMilliseconds: Int64 { coolDown.milliseconds }
}
