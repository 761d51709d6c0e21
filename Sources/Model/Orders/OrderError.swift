import Contract

/// Why the domain said no. The API maps each case to a status code and a stable error code.
public enum OrderError: Error, Sendable, Hashable, CustomStringConvertible {
    // Placing
    case noItems
    case tooManyLines(Int)
    case unknownFood(String)
    case quantityOutOfRange(foodId: String, qty: Int)
    case amountTooLarge(limit: Int)
    case orderNotFound(String)

    // Who may
    case wrongRole(command: String, required: Actor.Role)
    case notYourOrder
    case notYourStore
    case notYourDelivery

    // When
    case cannotCancelAfterCookingStarted(OrderStatus)
    case alreadyPicked
    case invalidTransition(command: String, from: OrderStatus)
    /// Changed by others 64 times while this command was being decided: try again shortly.
    case contended(String)

    public var description: String {
        switch self {
        case .noItems: "an order needs at least one item"
        case .tooManyLines(let count): "an order has at most \(Order.maxLines) lines, got \(count)"
        case .unknownFood(let id): "food '\(id)' is not on the store's menu"
        case .quantityOutOfRange(let id, let qty): "qty of '\(id)' must be 1…\(Order.maxQuantity) per food, got \(qty)"
        case .amountTooLarge(let limit): "an order's amount is at most \(limit) won"
        case .orderNotFound(let id): "order '\(id)' does not exist"
        case .wrongRole(let command, let role): "only a \(role.rawValue) may \(command) an order"
        case .notYourOrder: "this is not your order"
        case .notYourStore: "this order belongs to another store"
        case .notYourDelivery: "another rider has this delivery"
        case .cannotCancelAfterCookingStarted(let status): "the order can no longer be cancelled: it is \(status.rawValue)"
        case .alreadyPicked: "another rider has already picked this delivery"
        case .invalidTransition(let command, let status): "cannot \(command) an order that is \(status.rawValue)"
        case .contended(let id): "order '\(id)' is being changed by many at once; try again shortly"
        }
    }
}
