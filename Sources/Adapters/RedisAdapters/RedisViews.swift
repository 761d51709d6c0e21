import Application
import Contract
import Numbers
import Orders
import Redis

/// The read models in Redis, as the policies write them (`Keys` names each), bounded.
///
/// Partitioned, every view is kept per partition and merged here: each read is one pipeline
/// with one command per partition (a cluster's executor splits it by node and sends the parts
/// at once), a board then one more pipeline for the copies of the orders it shows. A merged
/// read fails as a whole when one partition's part fails: never a partial sum or a shorter
/// board. The top N is taken after the merge, ties broken by id, so the answer does not depend
/// on how the orders fall into partitions. On one partition each read is the command of before.
public struct RedisViews: Views {
    public let keySpace: KeySpace
    public let redis: any RedisExecutor

    public init(keySpace: KeySpace, redis: any RedisExecutor) { (self.keySpace, self.redis) = (keySpace, redis) }

    /// The store's board (store-inbox's index) and the copies its orders' commits keep beside the
    /// store: two round trips however many orders and partitions it shows.
    public func storeBoard(_ storeId: String, limit: Int = 200) async throws -> [Order] {
        try await board(limit: limit, newestFirst: true, copies: { $0.storeOrders(storeId) }) {
            RedisCommand(["ZREVRANGE", $0.storeBoard(storeId), "0", String(limit - 1)] + ($1 ? ["WITHSCORES"] : []))
        }
    }

    /// The region's board (delivery-dispatch's index) and the copies of its cooked orders: an
    /// order without a copy there left `cooked` (a rider has it, it was cancelled) and is not offered.
    public func riderBoard(_ region: String, limit: Int = 200) async throws -> [Order] {
        try await board(limit: limit, newestFirst: false, copies: { $0.regionJobs(region) }, loadMissing: false) {
            RedisCommand(["ZRANGE", $0.riderBoard(region), "0", String(limit - 1)] + ($1 ? ["WITHSCORES"] : []))
        }
    }

    /// The customer's page: a list per partition (projector's, in placement order), merged by
    /// when each order was placed.
    public func myOrders(_ customerId: String, limit: Int = 200) async throws -> [Order] {
        try await board(limit: limit, newestFirst: true, copies: { $0.customerOrders(customerId) }) { keys, _ in
            RedisCommand("LRANGE", keys.myOrders(customerId), "0", String(limit - 1))
        }
    }

    /// One entry of an index: an order id, its score (nil for a list), its partition.
    private struct Entry {
        var id: String
        var score: Double?
        var partition: Int
    }

    /// The ids each partition's index lists, merged and cut to `limit`, then their copies (one
    /// `HMGET` per partition, in one pipeline); an order whose copy is missing (committed before
    /// copies were kept) is read from its own hash, when `loadMissing`.
    ///
    /// `index` gives a partition's command, asking for scores only when there are partitions to
    /// merge by them: Redis 7.0 formats each score with `%.17g`, and for a board's millisecond
    /// times that is most of the read (200 of them: 114 µs against 10 µs without, issue 20).
    private func board(limit: Int, newestFirst: Bool, copies: (Keys) -> String, loadMissing: Bool = true,
                       index: (Keys, _ withScores: Bool) -> RedisCommand) async throws -> [Order] {
        let partitions = keySpace.all
        let withScores = partitions.count > 1
        let commands = partitions.map { index($0, withScores) }
        let replies = try await redis.pipeline(commands)
        var entries: [Entry] = []
        for (partition, reply) in replies.enumerated() {
            if commands[partition].name == "LRANGE" || !withScores {
                entries += reply.strings.map { Entry(id: $0, score: nil, partition: partition) }
            } else {
                entries += reply.pairs.compactMap { member, score in
                    guard let id = member.string else { return nil }
                    return Entry(id: id, score: score.string.flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil } ?? 0, partition: partition)
                }
            }
        }
        let scored = entries.contains { $0.score != nil }
        if scored && partitions.count > 1 {
            entries.sort { a, b in
                if a.score != b.score { return newestFirst ? a.score! > b.score! : a.score! < b.score! }
                return a.id < b.id
            }
            entries = Array(entries.prefix(limit))
        }
        guard !entries.isEmpty else { return [] }
        // The copies, one HMGET per partition that has ids.
        var idsOf: [Int: [String]] = [:]
        for entry in entries { idsOf[entry.partition, default: []].append(entry.id) }
        let asked = idsOf.keys.sorted()
        let values = try await redis.pipeline(asked.map { RedisCommand(["HMGET", copies(partitions[$0])] + idsOf[$0]!) })
        var found: [String: Order] = [:]
        var missing: [String] = []
        for (position, partition) in asked.enumerated() {
            let ids = idsOf[partition]!
            let copiesFound = values[position].array ?? []
            for (index, id) in ids.enumerated() {
                if index < copiesFound.count, let text = copiesFound[index].string, let order = OrderRecord.order(copy: text), order.id == id {
                    found[id] = order
                } else {
                    missing.append(id)
                }
            }
        }
        if loadMissing && !missing.isEmpty {
            for order in try await RedisOrderRepository(keySpace: keySpace, redis: redis).load(missing) { found[order.id] = order }
        }
        let orders = entries.compactMap { found[$0.id] }
        guard !scored && partitions.count > 1 else { return orders }
        // Lists carry no score: merged by when each order was placed.
        let merged = orders.sorted { a, b in a.placedAt != b.placedAt ? a.placedAt > b.placedAt : a.id < b.id }
        return Array(merged.prefix(limit))
    }

    public func inbox(_ customerId: String, limit: Int = 500) async throws -> [String] {
        let partitions = keySpace.all
        if partitions.count == 1 {
            return try await redis.send(RedisCommand("ZREVRANGE", partitions[0].inbox(customerId), "0", String(limit - 1))).strings
        }
        let replies = try await redis.pipeline(partitions.map { RedisCommand("ZREVRANGE", $0.inbox(customerId), "0", String(limit - 1), "WITHSCORES") })
        let messages = replies.flatMap { reply in
            reply.pairs.compactMap { member, score -> (String, Double)? in
                guard let text = member.string else { return nil }
                return (text, score.string.flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil } ?? 0)
            }
        }
        return messages.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(limit).map(\.0)
    }

    /// One `LRANGE` per stage, pipelined, on the order's partition.
    public func stageTimings(of order: Order) async throws -> [OrderStage: [Int64]] {
        try await Self.stageTimings(keys: keySpace.keys(forOrder: order.id), store: order.storeId, region: order.region, redis: redis)
    }

    /// The recent durations of every stage at `store` and in `region`, on one partition's keys: one
    /// `LRANGE` per stage, pipelined. A value that is not a whole number of ms is left out (the
    /// lists are anyone's to write with redis-cli).
    public static func stageTimings(keys: Keys, store: String, region: String, redis: any RedisExecutor) async throws -> [OrderStage: [Int64]] {
        let stages = OrderStage.allCases
        let replies = try await redis.pipeline(stages.map { stage in
            RedisCommand("LRANGE", stage.isStores ? keys.storeTimings(store, stage) : keys.regionTimings(region, stage), "0", String(OrderStage.kept - 1))
        })
        var timings: [OrderStage: [Int64]] = [:]
        for (stage, reply) in zip(stages, replies) { timings[stage] = reply.strings.compactMap { Int64($0) } }
        return timings
    }

    /// Scores are whatever a stream's `at` said: clamped to a sane range, never trapped on.
    public func cookingQueue(_ storeId: String) async throws -> [(orderId: String, startedAt: Int64)] {
        let replies = try await redis.pipeline(keySpace.all.map { RedisCommand("ZRANGE", $0.cookingQueue(storeId), "0", "-1", "WITHSCORES") })
        let queue = replies.flatMap { reply in
            reply.pairs.compactMap { member, score -> (orderId: String, startedAt: Int64)? in
                guard let orderId = member.string, let value = score.string.flatMap({ Double($0) }), value.isFinite else { return nil }
                return (orderId, Int64(max(-9.0e18, min(value, 9.0e18))))
            }
        }
        guard replies.count > 1 else { return queue }
        return queue.sorted { $0.startedAt != $1.startedAt ? $0.startedAt < $1.startedAt : $0.orderId < $1.orderId }
    }

    /// The sum of every partition's part; a count that is not a number is left out, a sum never traps.
    public func dashboard(_ board: Keys.Dashboard) async throws -> [(name: String, count: Int)] {
        let replies = try await redis.pipeline(keySpace.all.map { RedisCommand("HGETALL", $0.dashboard(board)) })
        var totals: [String: Int] = [:]
        for reply in replies {
            for (name, count) in reply.pairs {
                guard let name = name.string, let count = count.int else { continue }
                totals[name] = (totals[name] ?? 0).clampedAdding(count)
            }
        }
        return totals.map { (name: $0.key, count: $0.value) }.sorted { $0.name < $1.name }
    }

    public func ordersPerMinute(last minutes: Int = 60, now: Int64) async throws -> [OrdersInMinute] {
        let current = now / 60_000
        let range = current.clampedSubtracting(Int64(minutes) - 1)...current
        var counts: [Int64: [String: Int]] = [:]
        if keySpace.tagged {
            // Per partition, the hours that hold the range: 2 × N hashes for the last hour.
            let hours = Array(Set(range.map { $0 / 60 })).sorted()
            let commands = keySpace.all.flatMap { keys in hours.map { RedisCommand("HGETALL", keys.ordersPerHour($0)) } }
            for reply in try await redis.pipeline(commands) {
                for (field, value) in reply.pairs {
                    guard let field = field.string, let count = value.int, let colon = field.firstIndex(of: ":"),
                          let minute = Int64(field[..<colon]), range.contains(minute) else { continue }
                    let status = String(field[field.index(after: colon)...])
                    counts[minute, default: [:]][status] = (counts[minute]?[status] ?? 0).clampedAdding(count)
                }
            }
        } else {
            let keys = keySpace.shared
            let replies = try await redis.pipeline(range.map { RedisCommand("HGETALL", keys.ordersPerMinute($0)) })
            for (minute, reply) in zip(range, replies) {
                for (name, value) in reply.pairs {
                    if let name = name.string, let count = value.int { counts[minute, default: [:]][name] = count }
                }
            }
        }
        return range.map { OrdersInMinute(minute: $0, counts: counts[$0] ?? [:]) }
    }
}
