/// Who is asking: the identity a bearer token proves.
public struct Actor: Sendable, Hashable {
    public enum Role: String, Sendable, CaseIterable, Hashable {
        /// `operator` runs the platform (the console, dead letters, every dashboard); no order
        /// command is theirs.
        case customer, owner, rider, `operator`
    }

    public var role: Role
    /// The user's id (`sub`).
    public var id: String
    /// For an owner: the store they own.
    public var store: String?

    public init(role: Role, id: String, store: String? = nil) {
        self.role = role
        self.id = id
        self.store = store
    }

    public static func customer(_ id: String) -> Actor { Actor(role: .customer, id: id) }
    public static func owner(_ id: String, of store: String) -> Actor { Actor(role: .owner, id: id, store: store) }
    public static func rider(_ id: String) -> Actor { Actor(role: .rider, id: id) }
    public static func `operator`(_ id: String) -> Actor { Actor(role: .operator, id: id) }

    public func owns(store storeId: String) -> Bool { role == .owner && store == storeId }
}
