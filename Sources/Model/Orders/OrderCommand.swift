import Contract

/// Everything an actor can ask of an existing order. Placing one is `Order.place`.
public enum OrderCommand: Sendable, Hashable, CaseIterable {
    /// The customer, while `placed` or `accepted`.
    case cancel
    /// The store's owner: `placed` → `accepted`.
    case accept
    /// The store's owner: `placed` → `rejected`.
    case reject
    /// The store's owner: `accepted` → `cooking`.
    case startCooking
    /// The store's owner: `cooking` → `cooked`.
    case finishCooking
    /// Any rider: `cooked` → `picked`; the first one wins.
    case pick
    /// The rider who picked it: `picked` → `delivered`.
    case deliver
    /// The customer: `delivered` → `completed`.
    case confirm

    /// The path segment of the command (`start-cooking`), used in messages and routes.
    public var name: String {
        switch self {
        case .cancel: "cancel"
        case .accept: "accept"
        case .reject: "reject"
        case .startCooking: "start-cooking"
        case .finishCooking: "finish-cooking"
        case .pick: "pick"
        case .deliver: "deliver"
        case .confirm: "confirm"
        }
    }

    /// Who may give the command at all.
    public var role: Actor.Role {
        switch self {
        case .cancel, .confirm: .customer
        case .accept, .reject, .startCooking, .finishCooking: .owner
        case .pick, .deliver: .rider
        }
    }
}
