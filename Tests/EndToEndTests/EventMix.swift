import Contract
import Backbone
import Redis
import TestSupport

/// A reproducible mix of events on the streams the projector reads, with the dashboards the
/// test expects, computed here independently of the code under test.
struct EventMix {
    struct Event {
        var stream: StreamName
        var type: String
        var orderId: String
        var data: String
        /// What this event should change: (food or rider, delta) per dashboard.
        var food: [(String, Int)] = []
        var rider: String?
    }

    var events: [Event] = []

    init(count: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var open: [(orderId: String, items: [(String, Int)])] = []
        for index in 0..<count {
            let orderId = "o-\(seed)-\(index)"
            let roll = random.next(below: 100)
            if roll < 45 || open.isEmpty {
                let items = (0..<(1 + random.next(below: 3))).map { _ in ("food-\(random.next(below: 20))", 1 + random.next(below: 5)) }
                let json = items.map { #"{"foodId":"\#($0.0)","qty":\#($0.1),"price":9000}"# }.joined(separator: ",")
                events.append(Event(stream: .order, type: "OrderPlaced", orderId: orderId,
                                    data: #"{"orderId":"\#(orderId)","customerId":"c1","storeId":"s1","items":[\#(json)],"amount":1,"region":"gangnam","address":"x","paymentId":"p"}"#,
                                    food: items))
                open.append((orderId, items))
            } else if roll < 65 {
                let taken = open.remove(at: random.next(below: open.count))
                let json = taken.items.map { #"{"foodId":"\#($0.0)","qty":\#($0.1),"price":9000}"# }.joined(separator: ",")
                let cancelled = roll < 57
                events.append(Event(stream: cancelled ? .order : .store, type: cancelled ? "OrderCancelled" : "OrderRejected",
                                    orderId: taken.orderId,
                                    data: #"{"orderId":"\#(taken.orderId)","storeId":"s1","items":[\#(json)],"paymentId":"p","reason":"r"}"#,
                                    food: taken.items.map { ($0.0, -$0.1) }))
            } else if roll < 85 {
                let rider = "rider-\(random.next(below: 10))"
                events.append(Event(stream: .delivery, type: "DeliveryPicked", orderId: orderId,
                                    data: #"{"orderId":"\#(orderId)","riderId":"\#(rider)"}"#, rider: rider))
            } else {
                // Events the projector does not count, and types nobody knows.
                let others: [(StreamName, String)] = [(.store, "OrderAccepted"), (.store, "CookingFinished"), (.delivery, "DeliveryOpened"),
                                                      (.order, "OrderCompleted"), (.order, "SomethingNew"), (.delivery, "OrderPlaced")]
                let (stream, type) = others[random.next(below: others.count)]
                events.append(Event(stream: stream, type: type, orderId: orderId,
                                    data: #"{"orderId":"\#(orderId)","items":[{"foodId":"food-0","qty":99}],"riderId":"rider-0"}"#))
            }
        }
    }

    /// The dashboards after `events` (zero entries left out).
    static func expected(_ events: some Sequence<Event>) -> (food: [String: Int], riders: [String: Int]) {
        var food: [String: Int] = [:]
        var riders: [String: Int] = [:]
        for event in events {
            for (name, delta) in event.food { food[name, default: 0] += delta }
            if let rider = event.rider { riders[rider, default: 0] += 1 }
        }
        return (food.filter { $0.value != 0 }, riders.filter { $0.value != 0 })
    }

    var expected: (food: [String: Int], riders: [String: Int]) { Self.expected(events) }

    /// Writes the events with pipelined XADDs; returns each event's stream entry id.
    @discardableResult
    func write(to connection: RedisConnection, keys: Keys) throws -> [String] {
        var ids: [String] = []
        for chunk in stride(from: 0, to: events.count, by: 1_000) {
            let commands = events[chunk..<min(chunk + 1_000, events.count)].map { event in
                RedisCommand(["XADD", keys.stream(event.stream), "*", "type", event.type, "orderId", event.orderId,
                              "at", "1700000000000", "data", event.data])
            }
            ids += try connection.pipeline(commands).map { $0.string ?? "" }
        }
        return ids
    }
}

/// A small deterministic generator, so a failing mix can be reproduced from its seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
