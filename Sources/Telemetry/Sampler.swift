/// Which traces are recorded (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`): a root sampler,
/// and, when parent-based (the default, `parentbased_always_on`), a span with a parent follows
/// its parent's decision, so a trace is recorded whole or not at all across every process.
public struct Sampler: Sendable, Hashable {
    public enum Root: Sendable, Hashable {
        case alwaysOn, alwaysOff
        /// This fraction of traces (0 … 1), decided from the trace id, so every process that
        /// samples by ratio decides alike.
        case ratio(Double)
    }

    public var root: Root
    public var parentBased: Bool

    public init(root: Root = .alwaysOn, parentBased: Bool = true) { (self.root, self.parentBased) = (root, parentBased) }

    public func sample(_ traceID: TraceID, parent: TraceContext?) -> Bool {
        if parentBased, let parent { return parent.sampled }
        switch root {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .ratio(let ratio):
            if ratio >= 1 { return true }
            if !(ratio > 0) { return false }
            // The trace id's lower 8 bytes against ratio × 2^64 (random ids: uniform).
            return Double(traceID.low) < ratio * 18_446_744_073_709_551_616.0
        }
    }
}
