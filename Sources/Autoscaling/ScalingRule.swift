/// How far the autoscaler may size one policy: `--policy NAME:MIN:MAX`.
public struct ScalingRule: Sendable, Hashable {
    /// The most instances any rule may ask for: far above what a host runs, low enough that a
    /// typo (`projector:1:400`) is refused instead of starting hundreds of processes.
    public static let maximumInstances = 64

    public let policy: String
    public let min: Int
    public let max: Int

    /// Why a rule cannot be used; `baedal-autoscaler` prints it and exits 64.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case malformed(String)
        case bounds(policy: String, min: Int, max: Int)

        public var description: String {
            switch self {
            case .malformed(let text):
                return "'\(text.prefix(80))' is not NAME:MIN:MAX (e.g. projector:1:4)"
            case .bounds(let policy, let min, let max):
                return "\(policy): MIN and MAX must satisfy 0 <= MIN <= MAX, 1 <= MAX <= \(ScalingRule.maximumInstances); got \(min) and \(max)"
            }
        }
    }

    public init(policy: String, min: Int, max: Int) throws(Problem) {
        guard !policy.isEmpty else { throw .malformed("\(policy):\(min):\(max)") }
        guard min >= 0, max >= 1, min <= max, max <= Self.maximumInstances else {
            throw .bounds(policy: policy, min: min, max: max)
        }
        self.policy = policy
        self.min = min
        self.max = max
    }

    /// `projector:1:4`.
    public init(parsing text: String) throws(Problem) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let min = Int(parts[1]), let max = Int(parts[2]) else { throw .malformed(text) }
        try self.init(policy: String(parts[0]), min: min, max: max)
    }

    /// `count` held within MIN…MAX.
    public func clamp(_ count: Int) -> Int { Swift.min(Swift.max(count, min), max) }
}
