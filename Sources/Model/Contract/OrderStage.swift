/// The stages of an order's life the platform measures, each between two of the contract's events:
/// the event that ends a stage carries, in its `data`, `since` (when the stage began, ms), so the
/// projector learns each stage's duration from that one event.
public enum OrderStage: String, Sendable, Hashable, CaseIterable {
    /// Placed → accepted by the store (`OrderAccepted`).
    case accept
    /// Accepted → cooking started (`CookingStarted`).
    case start
    /// Cooking started → finished (`CookingFinished`).
    case cook
    /// Cooked → picked up by a rider (`DeliveryPicked`).
    case pickup
    /// Picked up → delivered (`DeliveryCompleted`).
    case deliver

    /// The event that ends the stage.
    public static func ended(by type: EventType) -> OrderStage? {
        switch type {
        case .orderAccepted: .accept
        case .cookingStarted: .start
        case .cookingFinished: .cook
        case .deliveryPicked: .pickup
        case .deliveryCompleted: .deliver
        default: nil
        }
    }

    /// Whose recent durations the stage is kept by: a store's kitchen, or a region's riders.
    public var isStores: Bool { self == .accept || self == .start || self == .cook }

    /// How many recent durations are kept per store or region (the median is of these).
    public static let kept = 20

    /// The longest duration counted (a day): anything longer is a clock gone wrong, not a measure.
    public static let longestMilliseconds: Int64 = 86_400_000

    /// The median of recent durations (the mean of the two middle ones for an even count), each
    /// bounded to 0…`bound` first (so the mean cannot overflow); nil for none.
    public static func median(_ values: [Int64], bound: Int64 = longestMilliseconds) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.map { min(max($0, 0), bound) }.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
