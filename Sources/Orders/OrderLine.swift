/// One line of an order, priced by the server from the store's menu.
public struct OrderLine: Sendable, Hashable {
    public var foodId: String
    public var qty: Int
    /// The unit price in whole won, as the menu said when the order was placed.
    public var price: Int

    public init(foodId: String, qty: Int, price: Int) {
        self.foodId = foodId
        self.qty = qty
        self.price = price
    }
}
