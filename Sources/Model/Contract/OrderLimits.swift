/// The bounds of what a food order can be, in the contract's units. Prices and amounts are whole
/// won and stay far below 2^53, so every JSON client (JavaScript's numbers included) holds them
/// exactly; every sum of money or units is computed with checked arithmetic against these.
public enum OrderLimits {
    /// Units of one food in one order (the contract's `qty` 1…99, after lines of one food are merged).
    public static let maxQuantity = 99
    /// Lines of one order.
    public static let maxLines = 50
    /// A menu price, in won (₩1,000,000: a dish, not a car).
    public static let maxPrice = 1_000_000
    /// An order's amount, in won.
    public static let maxAmount = 100_000_000
    /// The largest integer every JSON client holds exactly (2^53 − 1): a gateway amount's bound.
    public static let maxSafeInteger = 9_007_199_254_740_991
}
