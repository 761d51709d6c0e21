import HTTPTypes

extension HTTPField.Name {
    /// The contract's header for safe retries of `POST /orders` and `POST /payments`.
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
