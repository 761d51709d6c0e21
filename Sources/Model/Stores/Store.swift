import Contract
import JSON

/// A store as customers see it, and its menu.
public struct Store: Sendable, Hashable {
    public static let maxNameLength = 100
    public static let maxAddressLength = 200

    public var storeId: String
    public var name: String
    public var region: String
    /// Where riders pick orders up (optional: stores saved before it existed have none).
    public var address: String?

    public init(storeId: String, name: String, region: String, address: String? = nil) {
        self.storeId = storeId
        self.name = name
        self.region = region
        self.address = address
    }

    /// A store an owner may save: its id and region are ids, its name and address plain text.
    public static func validated(storeId: String, name: String, region: String, address: String?) throws(StoreError) -> Store {
        if let problem = Identifier.problem(storeId) { throw .invalid("storeId \(problem)") }
        guard !name.isEmpty else { throw .invalid("name must not be empty") }
        if let problem = FreeText.problem(name, maxLength: maxNameLength) { throw .invalid("name \(problem)") }
        if let problem = Identifier.problem(region) { throw .invalid("region \(problem)") }
        if let address {
            guard !address.isEmpty else { throw .invalid("address must not be empty when given") }
            if let problem = FreeText.problem(address, maxLength: maxAddressLength) { throw .invalid("address \(problem)") }
        }
        return Store(storeId: storeId, name: name, region: region, address: address)
    }
}
