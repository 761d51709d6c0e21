import Contract

/// Why a store or menu change was refused.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)
    case notFound(String)
    /// The owner's token names another store (or none).
    case notYourStore(owned: String?, asked: String)

    public var description: String {
        switch self {
        case .invalid(let problem): problem
        case .notFound(let id): "store '\(id)' does not exist"
        case .notYourStore(let owned, let asked): "the token owns store '\(owned ?? "")', not '\(asked)'"
        }
    }
}
