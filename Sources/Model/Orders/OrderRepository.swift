import Contract

/// Where orders live: the domain's port. A change is committed with the events that announce
/// it in one atomic step, and only if the order is still at the version it was read at; so two
/// racing commands on one order cannot both win: the loser reads the order again and is decided
/// again against what won (`change`). `RedisOrderRepository` keeps orders in Redis; an in-memory
/// twin serves tests.
public protocol OrderRepository: Sendable {
    func load(_ orderId: String) async throws -> Order?
    /// Several orders, in the order asked; absent ones are left out.
    func load(_ orderIds: [String]) async throws -> [Order]
    /// The status of each order (nil where there is no such order).
    func statuses(_ orderIds: [String]) async throws -> [OrderStatus?]
    func exists(_ orderId: String) async throws -> Bool
    /// Writes the change and its events if the order is still at the version it was read at.
    /// With a `receipt`, the first commit of its key wins and a repeat is `duplicate`; with
    /// `unlessVoided`, the commit is refused (`voided`) once `payment-refund` voided the order
    /// id's charge.
    func commit(_ change: OrderChange, receipt: OrderReceipt?, unlessVoided: Bool) async throws -> OrderCommitOutcome
    /// What a customer's `Idempotency-Key` remembered the first time, once it is as safe as a
    /// new order would be (replicated as far as the repository promises).
    func receipt(customer: String, idempotencyKey: String) async throws -> String?
}

/// What a placement remembers under a customer's `Idempotency-Key`: an opaque record (the
/// receipt and the request it answered), kept for a day.
public struct OrderReceipt: Sendable, Hashable {
    public var customer: String
    public var idempotencyKey: String
    public var record: String

    public init(customer: String, idempotencyKey: String, record: String) {
        self.customer = customer
        self.idempotencyKey = idempotencyKey
        self.record = record
    }
}

/// What a commit did.
public enum OrderCommitOutcome: Sendable, Hashable {
    /// Written: the order is now at `version`.
    case committed(version: Int)
    /// Someone else changed the order first; nothing was written.
    case conflict
    /// The receipt's key was used before; nothing was written; the first record.
    case duplicate(String)
    /// The order id's charge was voided; nothing was written.
    case voided
}

extension OrderRepository {
    /// Runs a command against the order as stored: read, decide, commit; on a conflict, read
    /// again and decide again. Returns the order as the command left it.
    public func execute(_ command: OrderCommand, on orderId: String, by actor: Actor, reason: String = "",
                        now: () -> Int64) async throws -> Order {
        let order = try await change(orderId) { order throws(OrderError) in try order.decide(command, by: actor, at: now(), reason: reason) }
        guard let order else { throw OrderError.orderNotFound(orderId) }
        return order
    }

    /// Read, decide, commit, retried on a conflict: the one loop every change of a stored order
    /// goes through. `decide` returns nil for "nothing to change" (then the order is returned as
    /// read). Nil when there is no such order.
    public func change(_ orderId: String, _ decide: (Order) throws(OrderError) -> OrderChange?) async throws -> Order? {
        for _ in 0..<64 {
            guard let order = try await load(orderId) else { return nil }
            guard let change = try decide(order) else { return order }
            switch try await commit(change, receipt: nil, unlessVoided: false) {
            case .committed(let version):
                var stored = change.order
                stored.version = version
                return stored
            case .conflict:
                continue  // someone else changed it first: decide again against what won
            case .duplicate, .voided:
                preconditionFailure("a commit without a receipt or a void check cannot be a duplicate or voided")
            }
        }
        throw OrderError.contended(orderId)
    }
}

/// A repository's failure after which the write may nonetheless stand (its answer was lost, or
/// it reached the primary but not the replicas it needed): the caller must not act as if
/// nothing was written (a placement hands its charge to `payment-refund` instead of cancelling it).
public protocol UncertainWrite: Error {
    var mayHaveWritten: Bool { get }
    /// Certainly not written, and the store should take it again shortly (a failover under way,
    /// a cluster slot failing over or moving, a primary that cannot be reached): a placement keeps
    /// its charge for a retry with the same key, and hands it to `payment-refund` to settle if
    /// no retry comes, rather than cancelling it (which would burn the customer's key).
    var isPassing: Bool { get }
}
