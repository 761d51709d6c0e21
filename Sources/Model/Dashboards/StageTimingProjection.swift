import Contract

/// How long each stage of an order's life takes at each store and in each region, as a projection
/// of events (issue 24): the event that ends a stage (`OrderStage.ended(by:)`) carries `since`,
/// when the stage began, and the duration `at − since` goes to the front of the store's (accept,
/// start, cook) or the region's (pickup, deliver) list of recent durations, which keeps the
/// latest `OrderStage.kept` (`LPUSH`, `LTRIM`). The estimated delivery time is their medians.
/// An event without `since`, or with a duration below zero or above a day (a clock gone wrong),
/// measures nothing.
public struct StageTimingProjection: Sendable {
    public let keys: Keys

    public init(keys: Keys) {
        self.keys = keys
    }

    public func effects(of event: EventEnvelope, type: EventType, data: EventData) throws(MalformedEvent) -> Effects {
        guard let stage = OrderStage.ended(by: type), let since = data.since else { return .none }
        let (duration, overflow) = event.at.subtractingReportingOverflow(Int64(since))
        guard !overflow, duration >= 0, duration <= OrderStage.longestMilliseconds else { return .none }
        let key: String
        if stage.isStores {
            guard let storeId = try data.optionalId(\.storeId, "storeId", of: event) else { return .none }
            key = keys.storeTimings(storeId, stage)
        } else {
            guard let region = try data.optionalId(\.region, "region", of: event) else { return .none }
            key = keys.regionTimings(region, stage)
        }
        return Effects([.push(list: key, value: String(duration)), .trim(list: key, keep: OrderStage.kept)])
    }
}
