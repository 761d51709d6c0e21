import Contract
import Numbers
import Redis

/// Every entry about one order across the streams (the event streams, the dead letters, the
/// operators' flags), in the order Redis wrote them: the console's timeline of an order.
///
/// There is no index of an order's events: three writers append them (the order commit, the
/// workers' effects and the payment gateway, a third party), and an index kept by all three
/// would tax every write for a page that operators open now and then. The timeline is a
/// bounded scan instead, anchored where the order's events must be:
///
/// - Stream ids are the milliseconds at which Redis appended the entry, so every stream is in
///   time order and can be read from a time on (`XRANGE key <ms>-0 + COUNT n`), never from its
///   start.
/// - Nothing about an order is written before its payment is approved, and the approval comes
///   at most the payment timeout (2 s by default) before the order's `placedAt`: the payment
///   stream is read from `placedAt` − 60 s (the timeout and clock skew, with room to spare).
///   Everything else about the order is appended by or after the commit that set `placedAt`,
///   so the other streams are read from `placedAt` − 5 s (`placedAt` is the API host's clock,
///   ids are Redis's: 5 s allows for clocks that differ that much).
/// - Each call reads at most `budget` entries per stream, in pages of `pageSize` (one round trip
///   for a page of every stream). Where a stream goes on beyond the budget the scan says so and
///   returns its cursors; the next call resumes there. Following a live order is the same call
///   with the cursors of the last one: it reads only what was appended since.
/// - An order with no record (events written by hand, a garbage entry) has no `placedAt`: the
///   scan then reads the newest `pageSize` entries of each stream.
public struct OrderTimeline: Sendable {
    public struct Event: Sendable, Hashable {
        public var stream: String
        public var id: String
        public var type: String
        /// The entry's `at` field (ms since the epoch), when it has a readable one.
        public var at: Int64?
        /// Every field of the entry, in order (a dead letter's header, then the original's).
        public var fields: [StreamField]
    }

    public struct Scan: Sendable, Hashable {
        /// The order's entries found by this call, in the order Redis wrote them.
        public var events: [Event]
        /// Per stream key, the last entry id read: pass them to the next call to go on from there.
        public var cursors: [String: String]
        /// Whether every stream was read to its end (false: `budget` stopped the scan).
        public var complete: Bool
        /// Entries read, across the streams.
        public var scanned: Int
    }

    /// How far before `placedAt` a stream is read: the payment stream further (the approval
    /// precedes the order), the others by what clocks may differ.
    public func lookBehindMilliseconds(_ stream: String) -> Int64 {
        stream == keys.stream(.payment) ? 60_000 : 5_000
    }

    public let keys: Keys
    public let redis: any RedisExecutor
    public let budget: Int
    public let pageSize: Int

    public init(keys: Keys, redis: any RedisExecutor, budget: Int = 10_000, pageSize: Int = 1_000) {
        precondition(budget > 0 && pageSize > 0)
        self.keys = keys
        self.redis = redis
        self.budget = budget
        self.pageSize = min(pageSize, budget)
    }

    /// The timeline of one order in a partitioned key space: every entry about an order is in
    /// its own partition (`KeySpace.keys(forOrder:)`), so only that partition's streams are read.
    public init(keySpace: KeySpace, orderId: String, redis: any RedisExecutor, budget: Int = 10_000, pageSize: Int = 1_000) {
        self.init(keys: keySpace.keys(forOrder: orderId), redis: redis, budget: budget, pageSize: pageSize)
    }

    /// The streams read: the event streams, the dead letters, the flags.
    public var streamKeys: [String] { StreamName.allCases.map(keys.stream) + [keys.dead, keys.flags] }

    /// The entries about `orderId`: from `placedAt` − look-behind, or after `cursors` where the
    /// last call stopped, or (no `placedAt`, no cursor) among the newest `pageSize` entries.
    public func scan(orderId: String, placedAt: Int64?, after cursors: [String: String] = [:]) async throws -> Scan {
        var result = Scan(events: [], cursors: cursors, complete: true, scanned: 0)
        var starts: [String: String] = [:]
        var newest: [String] = []
        for key in streamKeys {
            if let cursor = cursors[key], StreamID(cursor) != nil {
                starts[key] = "(" + cursor
            } else if let placedAt {
                starts[key] = "\(max(0, placedAt.clampedSubtracting(lookBehindMilliseconds(key))))-0"
            } else {
                newest.append(key)
            }
        }
        if !newest.isEmpty {
            let replies = try await redis.each(newest.map { RedisCommand("XREVRANGE", $0, "+", "-", "COUNT", String(pageSize)) })
            for (key, reply) in zip(newest, replies) {
                let entries = reply.array ?? []
                result.scanned += entries.count
                if let last = entries.first?.array?.first?.string { result.cursors[key] = last }
                result.events += entries.reversed().compactMap { Self.event($0, stream: key, of: orderId) }
            }
        }
        var read: [String: Int] = [:]
        var active = streamKeys.filter { starts[$0] != nil }
        while !active.isEmpty {
            let replies = try await redis.each(active.map { RedisCommand("XRANGE", $0, starts[$0]!, "+", "COUNT", String(pageSize)) })
            var next: [String] = []
            for (key, reply) in zip(active, replies) {
                let entries = reply.array ?? []
                result.scanned += entries.count
                read[key, default: 0] += entries.count
                result.events += entries.compactMap { Self.event($0, stream: key, of: orderId) }
                guard let last = entries.last?.array?.first?.string else { continue }
                result.cursors[key] = last
                guard entries.count == pageSize else { continue }  // read to the end
                if read[key, default: 0] >= budget {
                    result.complete = false
                } else {
                    starts[key] = "(" + last
                    next.append(key)
                }
            }
            active = next
        }
        result.events.sort(by: Self.written)
        return result
    }

    /// In the order Redis appended them: by id time, then sequence, then the stream.
    static func written(_ a: Event, _ b: Event) -> Bool {
        let (x, y) = (StreamID(a.id), StreamID(b.id))
        if let x, let y, x != y { return x < y }
        return a.stream < b.stream
    }

    /// The entry as an event of `orderId`, or nil when it is about another order.
    static func event(_ entry: RESPValue, stream: String, of orderId: String) -> Event? {
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
        var fields: [StreamField] = []
        var matches = false, type: String?, at: Int64?
        for pair in parts[1].pairs {
            let name = pair.name.string ?? ""
            let value = pair.value.bytes ?? []
            fields.append(StreamField(name, value))
            switch name {
            case "orderId": matches = matches || value.elementsEqual(orderId.utf8)
            case "type": type = type ?? String(decoding: value, as: UTF8.self)
            case "at": at = at ?? Int64(String(decoding: value, as: UTF8.self))
            default: break
            }
        }
        guard matches else { return nil }
        return Event(stream: stream, id: id, type: type ?? "", at: at, fields: fields)
    }
}
