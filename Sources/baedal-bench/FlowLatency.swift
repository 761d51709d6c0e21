import Backbone
import Contract
import Dashboards
import Foundation
import Redis
import Stores
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `baedal-bench flow RATE SECONDS API-PORT TOKEN CUSTOMER`: the end-to-end lag of the event
/// backbone at a fixed offered load. An open-loop generator sends `POST /orders` at RATE per
/// second (request i is due at i/RATE whatever happened to the others; its latency counts from
/// then, so a slow answer cannot hold the load back), and three watchers poll the read models
/// every millisecond: the store's board (`store-inbox`), the customer's "my page" and the
/// food's dashboard count (`projector`). For each order: from its 201 to its first sighting in
/// each. Every order is one `tteokbokki` of `s-gangnam-bunsik`, so the dashboard's count rises
/// by one per order, in stream order (one projector process applies batches in order): order k
/// of the run is on the dashboard once the count is up by k.
struct FlowLatency {
    let rate: Int
    let seconds: Int
    let port: Int
    let token: String
    let customer: String
    let keys: Keys
    let redis: RedisConfiguration
    let storeId = "s-gangnam-bunsik"
    let foodId = "tteokbokki"
    let senders = 64

    /// What became of request i.
    struct Sent {
        var orderId: String?
        var status = 0
        var answeredAt: ContinuousClock.Instant
        var latency: Duration
    }

    func run() throws {
        let total = rate * seconds
        let setup = try RedisConnection(configuration: redis)
        let stream = keys.stream(.order)
        let startId = try setup.send(RedisCommand("XINFO", "STREAM", stream)).fields["last-generated-id"]?.string ?? "0-0"
        let baseCount = try setup.send(RedisCommand("HGET", keys.dashboard(.foodOrders), foodId)).int ?? 0
        let body = #"{"storeId":"\#(storeId)","items":[{"foodId":"\#(foodId)","qty":1}],"region":"gangnam","address":"서울 강남구 강남대로 396"}"#
        let request = Array(("POST /orders HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)

        let boardKey = keys.storeBoard(storeId), pageKey = keys.myOrders(customer)
        let board = Watcher(redis: redis, .sortedSet(boardKey))
        let myPage = Watcher(redis: redis, .list(pageKey))
        let dashboard = CountWatcher(redis: redis, key: keys.dashboard(.foodOrders), field: foodId)
        try board.start()
        try myPage.start()
        try dashboard.start()

        // The open loop: request i is due at start + i/rate; senders take them in turn.
        let schedule = OpenLoop(total: total, rate: rate, start: .now + .milliseconds(100))
        let results = Outcomes(count: total)
        for _ in 0..<senders {
            Thread {
                let connection = BenchHTTPConnection(port: port)
                while let (index, due) = schedule.next() {
                    var sent = Sent(answeredAt: due, latency: .zero)
                    if let answer = try? connection.exchange(request) {
                        sent.status = answer.status
                        sent.orderId = Self.orderId(in: answer.body)
                        if answer.status == 201, let orderId = sent.orderId { board.expect(orderId) }
                    }
                    sent.answeredAt = .now
                    sent.latency = sent.answeredAt - due
                    results.record(sent, at: index)
                }
            }.start()
        }
        schedule.run()
        while !results.complete { usleep(1_000) }
        let sendSeconds = Double((ContinuousClock.now - schedule.start) / .milliseconds(1)) / 1000

        // Which orders the run placed, in stream order: the k-th is on the dashboard at base + k.
        let placed = results.all.filter { $0.status == 201 && $0.orderId != nil }
        var rank: [String: Int] = [:]
        var next = startId
        while true {
            let entries = try setup.send(RedisCommand("XRANGE", stream, "(" + next, "+", "COUNT", "5000")).array ?? []
            if entries.isEmpty { break }
            for entry in entries {
                guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
                next = id
                let fields = parts[1].fields
                if fields["type"]?.string == EventType.orderPlaced.rawValue, let orderId = fields["orderId"]?.string { rank[orderId] = rank.count + 1 }
            }
        }
        // Wait (at most 15 s) until every placed order shows everywhere, then stop watching.
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let onBoard = board.count, onPage = myPage.count, counted = dashboard.latest - baseCount
            if onBoard >= placed.count && onPage >= placed.count && counted >= placed.count { break }
            usleep(5_000)
        }
        let seenOnBoard = board.stop(), seenOnPage = myPage.stop(), counts = dashboard.stop()

        func lags(_ seenAt: (String) -> ContinuousClock.Instant?) -> (lags: [Duration], missing: Int) {
            var lags: [Duration] = [], missing = 0
            for order in placed {
                guard let at = seenAt(order.orderId!) else { missing += 1; continue }
                lags.append(max(.zero, at - order.answeredAt))
            }
            return (lags, missing)
        }
        let onDashboard: (String) -> ContinuousClock.Instant? = { orderId in
            guard let k = rank[orderId] else { return nil }
            return counts.first { $0.count - baseCount >= k }?.at
        }
        let failed = total - placed.count
        let latencies = results.all.map(\.latency)
        print(String(format: "flow        offered %d orders/s for %d s: %d sent, %d answered 201 (%d not) at %.0f/s; POST latency %@",
                     rate, seconds, total, placed.count, failed, Double(total) / sendSeconds, Self.summary(latencies)))
        for (name, result) in [("store board", lags { seenOnBoard[$0] }), ("my page", lags { seenOnPage[$0] }), ("dashboard", lags(onDashboard))] {
            print(String(format: "flow        %4d/s  201 → %-11@  %@%@", rate, name, Self.summary(result.lags),
                         result.missing > 0 ? " (\(result.missing) never seen)" : ""))
        }
    }

    /// `p50 … p99 … max …` in milliseconds.
    static func summary(_ values: [Duration]) -> String {
        guard !values.isEmpty else { return "no values" }
        let sorted = values.sorted()
        func ms(_ value: Duration) -> Double { Double(value / .microseconds(1)) / 1000 }
        let p99 = sorted[max(0, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        return String(format: "p50 %.1f ms, p99 %.1f ms, max %.1f ms", ms(sorted[(sorted.count - 1) / 2]), ms(p99), ms(sorted.last!))
    }

    static func orderId(in body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: #""orderId":""#), let end = text[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(text[start.upperBound..<end])
    }
}

/// What became of each request, filled in by the sender threads.
final class Outcomes: Sendable {
    private let sent: Mutex<[FlowLatency.Sent?]>

    init(count: Int) { sent = Mutex(Array(repeating: nil, count: count)) }

    func record(_ outcome: FlowLatency.Sent, at index: Int) { sent.withLock { $0[index] = outcome } }

    var complete: Bool { sent.withLock { !$0.contains { $0 == nil } } }

    var all: [FlowLatency.Sent] { sent.withLock { $0.compactMap { $0 } } }
}

/// Releases request i of an open loop at `start + i/rate` to whichever sender asks next.
final class OpenLoop: @unchecked Sendable {
    let total: Int
    let start: ContinuousClock.Instant
    private let interval: Duration
    private let condition = NSCondition()
    private var due: [(index: Int, due: ContinuousClock.Instant)] = []
    private var released = 0

    init(total: Int, rate: Int, start: ContinuousClock.Instant) {
        self.total = total
        self.start = start
        interval = .nanoseconds(1_000_000_000 / Int64(rate))
    }

    /// The next due request, waiting for it; nil once all were handed out.
    func next() -> (index: Int, due: ContinuousClock.Instant)? {
        condition.lock()
        defer { condition.unlock() }
        while due.isEmpty && released < total { condition.wait() }
        return due.isEmpty ? nil : due.removeFirst()
    }

    /// Releases each request when it is due, until all are out.
    func run() {
        while true {
            let now = ContinuousClock.now
            let upTo = now < start ? 0 : min(total, Int((now - start) / interval) + 1)
            condition.lock()
            if upTo > released {
                for index in released..<upTo { due.append((index, start + interval * index)) }
                released = upTo
                condition.broadcast()
            }
            let finished = released == total
            condition.unlock()
            if finished { return }
            usleep(200)
        }
    }
}

/// Polls a read model every millisecond on a thread of its own, noting when each order first
/// shows. A sorted set (the board) is asked for the orders answered and not seen yet (`ZMSCORE`:
/// where they land in it does not matter); a list pushed at its head (my page) for what lies
/// before the part already seen (`LRANGE key 0 -(seen+1)`, one consistent read however much
/// was pushed meanwhile).
final class Watcher: Sendable {
    enum Model: Sendable {
        case sortedSet(String)
        case list(String)
    }

    private let redis: RedisConfiguration
    private let model: Model
    private let state = Mutex<(seenAt: [String: ContinuousClock.Instant], pending: Set<String>, stop: Bool)>(([:], [], false))
    private let done = DispatchSemaphore(value: 0)

    init(redis: RedisConfiguration, _ model: Model) {
        self.redis = redis
        self.model = model
    }

    /// An order was answered: look for it.
    func expect(_ orderId: String) { state.withLock { $0.pending.insert(orderId) } }

    func start() throws {
        let connection = try RedisConnection(configuration: redis)
        var before = 0
        if case .list(let key) = model { before = try connection.send(RedisCommand("LLEN", key)).int ?? 0 }
        Thread { [self, before] in
            var listed = before
            while true {
                let (pending, stop) = state.withLock { (Array($0.pending), $0.stop) }
                if stop { break }
                var fresh: [String] = []
                switch model {
                case .sortedSet(let key) where !pending.isEmpty:
                    let scores = (try? connection.send(RedisCommand(["ZMSCORE", key] + pending)).array) ?? []
                    fresh = zip(pending, scores).filter { !$0.1.isNull }.map(\.0)
                case .sortedSet:
                    break
                case .list(let key):
                    fresh = (try? connection.send(RedisCommand("LRANGE", key, "0", String(-(listed + 1)))).strings) ?? []
                    listed += fresh.count
                }
                if !fresh.isEmpty {
                    let now = ContinuousClock.now
                    state.withLock { state in
                        for id in fresh {
                            state.seenAt[id] = now
                            state.pending.remove(id)
                        }
                    }
                }
                usleep(1_000)
            }
            done.signal()
        }.start()
    }

    var count: Int { state.withLock { $0.seenAt.count } }

    func stop() -> [String: ContinuousClock.Instant] {
        state.withLock { $0.stop = true }
        done.wait()
        return state.withLock { $0.seenAt }
    }
}

/// Polls one hash field (a dashboard count) every millisecond, noting each change and when.
final class CountWatcher: @unchecked Sendable {
    private let redis: RedisConfiguration
    private let key: String
    private let field: String
    private let state = Mutex<(changes: [(at: ContinuousClock.Instant, count: Int)], stop: Bool)>(([], false))
    private let done = DispatchSemaphore(value: 0)

    init(redis: RedisConfiguration, key: String, field: String) {
        self.redis = redis
        self.key = key
        self.field = field
    }

    func start() throws {
        let connection = try RedisConnection(configuration: redis)
        Thread { [self] in
            var last = -1
            while !state.withLock({ $0.stop }) {
                if let count = try? connection.send(RedisCommand("HGET", key, field)).int ?? 0, count != last {
                    last = count
                    let now = ContinuousClock.now
                    state.withLock { $0.changes.append((now, count)) }
                }
                usleep(1_000)
            }
            done.signal()
        }.start()
    }

    var latest: Int { state.withLock { $0.changes.last?.count ?? 0 } }

    func stop() -> [(at: ContinuousClock.Instant, count: Int)] {
        state.withLock { $0.stop = true }
        done.wait()
        return state.withLock { $0.changes }
    }
}
