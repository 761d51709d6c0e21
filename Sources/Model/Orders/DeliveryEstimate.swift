import Contract
import Numbers

/// What the estimated delivery time is made of: the median of the recent durations of each stage
/// (`OrderStage`) at the order's store (accept, start, cook) and in its region (pickup, deliver),
/// or a default where there is no history yet. A median, so one order forgotten on the counter
/// moves nothing; each bounded to two hours, so a few absurd measures cannot promise tomorrow.
public struct StageTimes: Sendable, Hashable {
    /// A stage with no history takes this long (ms).
    public static let defaults: [OrderStage: Int64] = [
        .accept: 120_000, .start: 60_000, .cook: 900_000, .pickup: 300_000, .deliver: 1_200_000,
    ]
    /// No stage is taken to last longer (ms).
    public static let longest: Int64 = 7_200_000

    public private(set) var medians: [OrderStage: Int64]

    /// From the recent durations of each stage (ms); values out of 0…`longest` are bounded to it.
    public init(recent: [OrderStage: [Int64]]) {
        medians = [:]
        for stage in OrderStage.allCases {
            medians[stage] = OrderStage.median(recent[stage] ?? [], bound: Self.longest) ?? Self.defaults[stage]!
        }
    }

    public func median(_ stage: OrderStage) -> Int64 { medians[stage] ?? Self.defaults[stage]! }

    /// When the last of `stages` ends: the first (the current one, begun at `began`) its median
    /// after it began or now if that is past, each next one its median after that.
    public func estimate(_ stages: [OrderStage], began: Int64, now: Int64) -> Int64? {
        guard let current = stages.first else { return nil }
        var at = max(now, began.clampedAdding(median(current)))
        for stage in stages.dropFirst() { at = at.clampedAdding(median(stage)) }
        return at
    }
}

extension Order {
    /// The stages still ahead of the order, the current one first, and when the current one began.
    public var stagesAhead: (stages: [OrderStage], began: Int64)? {
        switch status {
        case .placed: (OrderStage.allCases, placedAt)
        case .accepted: ([.start, .cook, .pickup, .deliver], updatedAt)
        case .cooking: ([.cook, .pickup, .deliver], cookingStartedAt ?? updatedAt)
        case .cooked: ([.pickup, .deliver], updatedAt)
        case .picked: ([.deliver], updatedAt)
        case .delivered, .completed, .rejected, .cancelled: nil
        }
    }

    /// When the food should arrive (ms), while the order is live: the current stage ends its
    /// median after it began (or now, if that is past: it is late, and can end any moment), and
    /// each stage after it takes its median. Never before `now`, never more than two hours per
    /// stage ahead after it. Nil once the food has arrived or will not.
    public func estimatedDeliveryAt(_ times: StageTimes, now: Int64) -> Int64? {
        guard let (stages, began) = stagesAhead else { return nil }
        return times.estimate(stages, began: began, now: now)
    }
}
