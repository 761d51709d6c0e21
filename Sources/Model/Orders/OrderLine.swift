import Contract

/// One line of an order, priced by the server from the store's menu: `foodId`, `qty` and the unit
/// `price` in whole won as the menu said when the order was placed. The same shape the events
/// carry (`EventData.Line`): one type, written and read in one place.
public typealias OrderLine = EventData.Line
