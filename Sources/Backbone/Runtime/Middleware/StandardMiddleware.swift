import Contract
/// The middleware every policy runs under (Watermill's shape: each wraps a handler with one
/// concern), one per file. `ConsumerGroupWorker` chains them, outermost first: replay filter,
/// logging, dead letters, metrics, retry.
public enum StandardMiddleware {}
