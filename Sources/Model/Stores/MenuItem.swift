import Contract

public struct MenuItem: Sendable, Hashable {
    public var foodId: String
    public var name: String
    /// Whole won, 1…`OrderLimits.maxPrice`.
    public var price: Int

    public init(foodId: String, name: String, price: Int) {
        self.foodId = foodId
        self.name = name
        self.price = price
    }
}
