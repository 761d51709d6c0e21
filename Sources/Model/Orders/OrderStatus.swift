import Contract

/// Where an order is in its life (the contract's status list).
public enum OrderStatus: String, Sendable, CaseIterable, Hashable, Codable {
    case placed, accepted, rejected, cooking, cooked, picked, delivered, completed, cancelled

    /// No command moves an order out of these.
    public var isFinal: Bool { self == .rejected || self == .completed || self == .cancelled }

    /// Cooking has started: from here on the customer can no longer cancel.
    public var cookingHasStarted: Bool {
        switch self {
        case .cooking, .cooked, .picked, .delivered, .completed: return true
        case .placed, .accepted, .rejected, .cancelled: return false
        }
    }
}
