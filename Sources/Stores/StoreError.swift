/// Why a store or menu change was refused.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let problem): problem
        case .notFound(let id): "store '\(id)' does not exist"
        }
    }
}
