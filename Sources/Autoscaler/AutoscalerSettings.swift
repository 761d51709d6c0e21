import Autoscaling
import Contract
import Daemon

/// What `baedal-autoscaler`'s command line says.
public struct AutoscalerSettings: Sendable {
    public var rules: [ScalingRule]
    public var lagPerInstance: Int
    public var interval: Duration
    public var coolDown: Duration
    /// The deployment's shared keys (where the autoscaler tells its views).
    public var keys: Keys
    /// Every partition, whose backlogs are summed per policy (one untagged partition under the
    /// keys' prefix unless told otherwise).
    public var keySpace: KeySpace

    public init(rules: [ScalingRule], lagPerInstance: Int, interval: Duration, coolDown: Duration, keys: Keys, keySpace: KeySpace? = nil) {
        self.rules = rules
        self.lagPerInstance = lagPerInstance
        self.interval = interval
        self.coolDown = coolDown
        self.keys = keys
        self.keySpace = keySpace ?? KeySpace(prefix: keys.prefix)
    }

    /// `<prefix>:autoscaler`, the hash of `AutoscalerView`s.
    public var viewKey: String { keys.autoscaler }

    var intervalMilliseconds: Int { Int(interval.milliseconds) }
    var coolDownMilliseconds: Int64 { coolDown.milliseconds }
}
