import Contract
import Numbers
import Redis

/// What the console shows of orders that wait on someone (issue 24), over every partition: the
/// orders past half their deadline, for a store's answer (`accept`) or a rider (`pickup`), the
/// cooked orders flagged because no rider picked them in time and still not picked, and the
/// stores slowest to accept (the median of their recent acceptances, as the projector measured).
/// Bounded: at most `shown` of each list, read in one pipeline per question.
public struct WaitingOrders: Sendable {
    public let keySpace: KeySpace
    public let redis: any RedisExecutor
    /// The deployment's timeouts (s): a deadline is past half when less than half of its own is left.
    public let acceptSeconds: Int
    public let pickupSeconds: Int
    public static let shown = 50

    public init(keySpace: KeySpace, redis: any RedisExecutor, acceptSeconds: Int, pickupSeconds: Int) {
        (self.keySpace, self.redis, self.acceptSeconds, self.pickupSeconds) = (keySpace, redis, acceptSeconds, pickupSeconds)
    }

    public struct Waiting: Sendable, Hashable {
        public var orderId: String
        /// `accept` or `pickup`.
        public var deadline: String
        /// ms since the epoch.
        public var due: Int64
    }

    public struct Flag: Sendable, Hashable {
        public var orderId: String
        public var flaggedAt: Int64
    }

    public struct Store: Sendable, Hashable {
        public var storeId: String
        public var medianAcceptMilliseconds: Int64
        public var measured: Int
    }

    public struct Report: Sendable, Hashable {
        /// Deadlines waiting, in all.
        public var waiting = 0
        /// Past half their deadline, the soonest due first.
        public var pastHalf: [Waiting] = []
        public var openFlags = 0
        public var flags: [Flag] = []
        /// Slowest first.
        public var slowestStores: [Store] = []
    }

    public func read(now: Int64, stores storeIds: [String]) async throws -> Report {
        var report = Report()
        let acceptHalf = Int64(acceptSeconds) * 500, pickupHalf = Int64(pickupSeconds) * 500
        let horizon = now.clampedAdding(max(acceptHalf, pickupHalf))
        let limit = String(Self.shown)
        var commands: [RedisCommand] = []
        for keys in keySpace.all {
            commands += [RedisCommand("ZCARD", keys.deadlines),
                         RedisCommand("ZRANGEBYSCORE", keys.deadlines, "-inf", String(horizon), "WITHSCORES", "LIMIT", "0", limit),
                         RedisCommand("ZCARD", keys.openPickupFlags),
                         RedisCommand("ZRANGE", keys.openPickupFlags, "0", String(Self.shown - 1), "WITHSCORES")]
        }
        let replies = try await redis.pipeline(commands)
        var index = 0
        while index + 3 < replies.count {
            report.waiting = report.waiting.clampedAdding(max(0, replies[index].int ?? 0))
            for (member, score) in replies[index + 1].pairs {
                guard let text = member.string, let colon = text.firstIndex(of: ":"), let due = score.milliseconds else { continue }
                let kind = String(text[..<colon])
                let half = kind == "accept" ? acceptHalf : kind == "pickup" ? pickupHalf : nil
                guard let half, due.clampedSubtracting(now) <= half else { continue }
                report.pastHalf.append(Waiting(orderId: String(text[text.index(after: colon)...]), deadline: kind, due: due))
            }
            report.openFlags = report.openFlags.clampedAdding(max(0, replies[index + 2].int ?? 0))
            for (member, score) in replies[index + 3].pairs {
                guard let orderId = member.string, let at = score.milliseconds else { continue }
                report.flags.append(Flag(orderId: orderId, flaggedAt: at))
            }
            index += 4
        }
        report.pastHalf = Array(report.pastHalf.sorted { $0.due != $1.due ? $0.due < $1.due : $0.orderId < $1.orderId }.prefix(Self.shown))
        report.flags = Array(report.flags.sorted { $0.flaggedAt != $1.flaggedAt ? $0.flaggedAt < $1.flaggedAt : $0.orderId < $1.orderId }.prefix(Self.shown))
        // A flag raised as a rider picked the order can outlive the pick in the set (the flag's
        // write applied after the pick's removal): only orders still cooked are shown.
        if !report.flags.isEmpty {
            let statuses = try await redis.pipeline(report.flags.map { RedisCommand("HGET", keySpace.keys(forOrder: $0.orderId).order($0.orderId), "status") })
            report.flags = zip(report.flags, statuses).filter { $1.string == "cooked" }.map(\.0)
        }
        report.slowestStores = try await slowest(Array(storeIds.prefix(500)))
        return report
    }

    /// The stores' recent acceptances, every partition's list of each, their median.
    func slowest(_ storeIds: [String]) async throws -> [Store] {
        guard !storeIds.isEmpty else { return [] }
        let partitions = keySpace.all
        let replies = try await redis.pipeline(storeIds.flatMap { store in
            partitions.map { RedisCommand("LRANGE", $0.storeTimings(store, .accept), "0", String(OrderStage.kept - 1)) }
        })
        var stores: [Store] = []
        for (position, store) in storeIds.enumerated() {
            let values = replies[(position * partitions.count)..<((position + 1) * partitions.count)].flatMap { $0.strings.compactMap { Int64($0) } }
            guard let median = OrderStage.median(values) else { continue }
            stores.append(Store(storeId: store, medianAcceptMilliseconds: median, measured: values.count))
        }
        return Array(stores.sorted { $0.medianAcceptMilliseconds != $1.medianAcceptMilliseconds
            ? $0.medianAcceptMilliseconds > $1.medianAcceptMilliseconds : $0.storeId < $1.storeId }.prefix(10))
    }
}
