import Backbone
import Contract
import Logging
import Redis
import Synchronization
import Testing
import TestSupport

/// One suite every transport of the consumer runtime must pass (Watermill's `test_pubsub.go`):
/// the runtime's guarantees — each message to one instance, a dead consumer's messages claimed,
/// retries on their schedule, dead letters, the ownership check — run in process, against Redis
/// and against the in-memory twin, on a clock the test moves.
@Suite("The consumer runtime's guarantees, on every transport", .serialized)
struct TransportContractTests {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case redis, inMemory
        var testDescription: String { rawValue }
    }

    /// A clock that moves when the test says so.
    final class ManualClock: Sendable {
        private let now = Mutex<Int64>(1_800_000_000_000)
        var epoch: EpochClock { { [self] in now.withLock { $0 } } }
        var time: Int64 { now.withLock { $0 } }
        func advance(_ milliseconds: Int64) { now.withLock { $0 += milliseconds } }
    }

    /// A store of one kind, its clock, and the transports of its consumers.
    final class Harness: Sendable {
        let kind: Kind
        let keys = Keys(prefix: "t")
        let clock = ManualClock()
        let server: RedisServer?
        let memory: InMemoryStreams?
        var stream: String { keys.stream(.order) }

        init(_ kind: Kind) throws {
            self.kind = kind
            server = kind == .redis ? try RedisServer() : nil
            memory = kind == .inMemory ? InMemoryStreams(clock: clock.epoch) : nil
        }

        func append(_ count: Int, type: String = "T") throws -> [String] {
            try (0..<count).map { index in
                let fields = [StreamField("type", type), StreamField("orderId", "o-\(index)"), StreamField("at", "1"), StreamField("data", "{}")]
                if let memory { return memory.append(stream, fields) }
                var command = RedisCommand("XADD", stream, "*")
                for field in fields { command.append(field.name); command.append(bytes: field.value) }
                return try server!.connect().send(command).string ?? ""
            }
        }

        func transport(_ consumer: String, group: String = "g") -> any GroupTransport {
            if let memory { return memory.transport(group: group, consumer: consumer, streams: [stream], keys: keys) }
            return RedisGroupTransport(group: group, consumer: consumer, streams: [stream], keys: keys, redis: server!.configuration,
                                       blockMilliseconds: 200, logger: Logger(label: "test"))
        }

        /// The counter every handled message adds one to.
        var count: Int {
            if let memory { return memory.hash("t:count")["n"] ?? 0 }
            return (try? server!.connect().send(RedisCommand("HGET", "t:count", "n")).int) ?? 0
        }

        /// Deliveries the retry book has of a message of group "g" (0: not booked).
        func retryDeliveries(_ id: String) async -> Int {
            let probe = transport("probe")
            defer { probe.close() }
            return ((try? await probe.retries([id], stream: stream))?.first ?? nil)?.deliveries ?? 0
        }

        var deadLetters: Int {
            if let memory { return memory.entries(keys.dead).count }
            return (try? server!.connect().send(RedisCommand("XLEN", keys.dead)).int) ?? 0
        }

        var pending: Int {
            if let memory { return memory.pending(stream, group: "g").values.reduce(0, +) }
            return (try? server!.connect().send(RedisCommand("XPENDING", stream, "g")).array?.first?.int) ?? -1
        }

        /// A running worker of `policy` as `consumer`.
        func worker(_ policy: Policy, consumer: String, claimIdle: Int = 30_000, maxDeliveries: Int = 25,
                    retry: RetrySchedule = RetrySchedule()) -> (worker: ConsumerGroupWorker, task: Task<Void, any Error>) {
            var settings = WorkerSettings(keys: keys, consumer: consumer, claimIdleMilliseconds: claimIdle, maxDeliveries: maxDeliveries, retry: retry)
            settings.blockMilliseconds = 100
            let worker = ConsumerGroupWorker(policy: policy, settings: settings, transport: transport(consumer, group: policy.name),
                                             clock: clock.epoch, logger: Logger(label: "test"))
            return (worker, Task { try await worker.run() })
        }
    }

    /// A policy named `g` on the order stream whose handling is `handle`.
    static func policy(_ handle: @escaping Handler) -> Policy { Policy(name: "g", streams: [.order], handle: handle) }

    static let counting: Effects = Effects([.increment(hash: "t:count", field: "n", by: 1)])

    /// Each message reaches one instance of the group, once; more instances share the work.
    @Test(arguments: Kind.allCases)
    func everyMessageIsHandledOnceByOneOfTheInstances(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        let seen = Mutex<[String: Int]>([:])
        let policy = Self.policy { message in
            seen.withLock { $0[message.id, default: 0] += 1 }
            return Self.counting
        }
        let ids = try harness.append(200)
        let workers = [harness.worker(policy, consumer: "a"), harness.worker(policy, consumer: "b")]
        defer { for (worker, _) in workers { worker.stop() } }
        try #require(await eventually { harness.count == 200 && harness.pending == 0 }, "count \(harness.count), pending \(harness.pending)")
        #expect(seen.withLock { $0 }.count == 200 && seen.withLock { $0 }.values.allSatisfy { $0 == 1 })
        #expect(Set(seen.withLock { Array($0.keys) }) == Set(ids))
        for (worker, task) in workers { worker.stop(); try await task.value }
    }

    /// A consumer that read messages and died: another instance takes them over after the claim
    /// time and handles them; their effects count once.
    @Test(arguments: Kind.allCases)
    func aDeadConsumersMessagesAreClaimedByALiveOne(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        _ = try await harness.transport("b").ensureGroups()
        _ = try harness.append(5)
        let dead = harness.transport("dead")
        let read = try await dead.readNew(count: 10, blockMilliseconds: 100)
        #expect(read.count == 5)
        #expect(harness.pending == 5)
        // The gauges say what is held, and since when (the oldest pending entry's id).
        let gauge = try #require(await dead.gauges().first)
        #expect(gauge.pending == 5 && gauge.lag == 0, "\(gauge)")
        #expect(gauge.oldestPendingAt == StreamID(read[0].id).map { Int64($0.milliseconds) }, "\(gauge)")
        let (worker, task) = harness.worker(Self.policy { _ in Self.counting }, consumer: "b", claimIdle: 200)
        harness.clock.advance(1_000)  // the in-memory store's idle time; Redis counts its own
        try #require(await eventually { harness.count == 5 && harness.pending == 0 }, "count \(harness.count), pending \(harness.pending)")
        #expect(await dead.gauges().first?.oldestPendingAt == nil, "nothing pending")
        worker.stop()
        try await task.value
    }

    /// A failed handling is retried when `RetrySchedule` says: after 1 s, then 2 s later; never
    /// before. The clock only moves when the test moves it, so each retry's time is exact.
    @Test(arguments: Kind.allCases)
    func failedHandlingsAreRetriedOnTheirSchedule(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        let clock = harness.clock
        let start = clock.time
        let handled = Mutex<[Int64]>([])
        let policy = Self.policy { _ in
            let attempt = handled.withLock { $0.append(clock.time); return $0.count }
            if attempt < 3 { throw Flaky() }
            return Self.counting
        }
        _ = try harness.append(1)
        let (worker, task) = harness.worker(policy, consumer: "a", retry: RetrySchedule(firstMilliseconds: 1_000, maxMilliseconds: 60_000))
        try #require(await eventually { handled.withLock { $0.count } == 1 })
        clock.advance(1_000)
        try #require(await eventually { handled.withLock { $0.count } == 2 })
        clock.advance(1_999)
        clock.advance(1)
        try #require(await eventually { harness.count == 1 })
        #expect(handled.withLock { $0 } == [start, start + 1_000, start + 3_000])
        #expect(harness.pending == 0)
        worker.stop()
        try await task.value
    }

    /// A message that keeps failing goes to the dead letters on its last delivery, and one that
    /// is malformed at once; the group goes on.
    @Test(arguments: Kind.allCases)
    func messagesThatCannotBeHandledAreDeadLettered(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        let attempts = Mutex(0)
        let policy = Self.policy { message in
            if message.string("orderId") == "o-0" { attempts.withLock { $0 += 1 }; throw Flaky() }
            if message.string("orderId") == "o-1" { throw MalformedEvent("not an event") }
            return Self.counting
        }
        let ids = try harness.append(3)
        let (worker, task) = harness.worker(policy, consumer: "a", maxDeliveries: 3, retry: RetrySchedule(firstMilliseconds: 1_000, maxMilliseconds: 1_000))
        try #require(await eventually { harness.count == 1 && harness.deadLetters == 1 && attempts.withLock { $0 } == 1 }, "the malformed one at once")
        // The clock moves only once the failure's retry is booked (booked after the handler
        // returns: moving it before would book the retry a second later than the test expects).
        try #require(await eventually { await harness.retryDeliveries(ids[0]) == 1 })
        harness.clock.advance(1_000)
        try #require(await eventually { attempts.withLock { $0 } == 2 })
        #expect(harness.deadLetters == 1)
        try #require(await eventually { await harness.retryDeliveries(ids[0]) == 2 })
        harness.clock.advance(1_000)
        try #require(await eventually { harness.deadLetters == 2 && harness.pending == 0 }, "the failing one on its third delivery")
        #expect(attempts.withLock { $0 } == 3)
        worker.stop()
        try await task.value
    }

    /// A consumer that wakes up with a message another consumer took over and applied: its own
    /// writes are dropped, nothing is applied twice.
    @Test(arguments: Kind.allCases)
    func aStalledConsumersWritesAreDroppedOnceAnotherOwnsItsMessage(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        let slow = harness.transport("slow"), fast = harness.transport("fast")
        _ = try await slow.ensureGroups()
        _ = try harness.append(1)
        let read = try await slow.readNew(count: 1, blockMilliseconds: 100)
        let message = try #require(read.first)
        harness.clock.advance(100)
        let (_, taken, _) = try await fast.claimIdle(stream: harness.stream, minIdleMilliseconds: 0, count: 10, from: "0-0")
        #expect(taken == [message.id])
        let handled = Handled(stream: message.stream, id: message.id, effects: Self.counting)
        #expect(try await fast.apply([handled]).acknowledged == 1)
        let late = try await slow.apply([handled])
        #expect(late.acknowledged == 0 && late.skipped.map(\.id) == [message.id])
        #expect(harness.count == 1)
    }

    /// A key of another type refuses the batch with nothing written (the runtime then applies
    /// each message alone and dead-letters the one at fault).
    @Test(arguments: Kind.allCases)
    func aKeyOfAnotherTypeRefusesTheBatchWithNothingWritten(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        let transport = harness.transport("a")
        _ = try await transport.ensureGroups()
        _ = try harness.append(2)
        if let memory = harness.memory { memory.corrupt("t:bad") } else { _ = try harness.server!.connect().send(RedisCommand("SET", "t:bad", "x")) }
        let read = try await transport.readNew(count: 2, blockMilliseconds: 100)
        let handled = [
            Handled(stream: read[0].stream, id: read[0].id, effects: Self.counting),
            Handled(stream: read[1].stream, id: read[1].id, effects: Effects([.increment(hash: "t:bad", field: "n", by: 1)])),
        ]
        await #expect(throws: TransportFailure.self) { try await transport.apply(handled) }
        #expect(harness.count == 0 && harness.pending == 2)
        #expect(try await transport.apply([handled[0]]).acknowledged == 1)
        #expect(harness.count == 1)
    }

    /// A batch with one entry whose handling fails: the others are applied once, and the failing
    /// one is retried alone on its schedule (the others are not delivered again).
    @Test(arguments: Kind.allCases)
    func aBatchWithOneFailingEntryAppliesTheOthersOnceAndRetriesItAlone(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        let handlings = Mutex<[String: Int]>([:])
        let policy = Self.policy { message in
            let orderId = message.string("orderId") ?? ""
            let attempt = handlings.withLock { $0[orderId, default: 0] += 1; return $0[orderId]! }
            if orderId == "o-2" && attempt == 1 { throw Flaky() }
            return Self.counting
        }
        _ = try harness.append(5)
        let (worker, task) = harness.worker(policy, consumer: "a", retry: RetrySchedule(firstMilliseconds: 1_000, maxMilliseconds: 1_000))
        try #require(await eventually { harness.count == 4 && harness.pending == 1 }, "count \(harness.count), pending \(harness.pending)")
        #expect(handlings.withLock { $0 } == ["o-0": 1, "o-1": 1, "o-2": 1, "o-3": 1, "o-4": 1])
        harness.clock.advance(1_000)
        try #require(await eventually { harness.count == 5 && harness.pending == 0 }, "count \(harness.count), pending \(harness.pending)")
        #expect(handlings.withLock { $0 } == ["o-0": 1, "o-1": 1, "o-2": 2, "o-3": 1, "o-4": 1])
        worker.stop()
        try await task.value
    }

    /// A batch of which another consumer claimed half while it was being handled: whichever
    /// applies first, each message is applied once — the late consumer's writes for the messages
    /// it lost are dropped, the rest of its batch is applied.
    @Test(arguments: Kind.allCases)
    func aBatchClaimedHalfwayByAnotherConsumerAppliesNothingTwice(_ kind: Kind) async throws {
        for claimerFirst in [true, false] {
            let harness = try Harness(kind)
            let slow = harness.transport("slow"), fast = harness.transport("fast")
            _ = try await slow.ensureGroups()
            _ = try harness.append(4)
            let read = try await slow.readNew(count: 4, blockMilliseconds: 100)
            try #require(read.count == 4)
            harness.clock.advance(100)
            let (_, taken, _) = try await fast.claimIdle(stream: harness.stream, minIdleMilliseconds: 0, count: 2, from: "0-0")
            #expect(taken == read.prefix(2).map(\.id))
            let batch = read.map { Handled(stream: $0.stream, id: $0.id, effects: Self.counting) }
            let claimed = batch.prefix(2).map { Handled(stream: $0.stream, id: $0.id, effects: Self.counting, redelivered: true) }
            if claimerFirst {
                #expect(try await fast.apply(claimed).acknowledged == 2)
                let late = try await slow.apply(batch)
                #expect(late.acknowledged == 2 && late.skipped.map(\.id) == Array(taken))
            } else {
                let first = try await slow.apply(batch)
                #expect(first.acknowledged == 2 && first.skipped.map(\.id) == Array(taken))
                #expect(try await fast.apply(claimed).acknowledged == 2)
            }
            #expect(harness.count == 4 && harness.pending == 0, "claimer first: \(claimerFirst)")
        }
    }

    /// Handlings that write nothing are acknowledged without the apply script; a consumer whose
    /// messages were claimed and applied meanwhile acknowledges only the ones still pending.
    @Test(arguments: Kind.allCases)
    func handlingsThatWriteNothingAreAcknowledgedOnce(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        let slow = harness.transport("slow"), fast = harness.transport("fast")
        _ = try await slow.ensureGroups()
        _ = try harness.append(4)
        let read = try await slow.readNew(count: 4, blockMilliseconds: 100)
        harness.clock.advance(100)
        let (_, taken, _) = try await fast.claimIdle(stream: harness.stream, minIdleMilliseconds: 0, count: 2, from: "0-0")
        let claimed = taken.map { Handled(stream: harness.stream, id: $0, effects: Self.counting, redelivered: true) }
        #expect(try await fast.apply(claimed).acknowledged == 2)
        let nothing = read.map { Handled(stream: $0.stream, id: $0.id, effects: Effects([])) }
        #expect(try await slow.apply(nothing).acknowledged == 2)
        #expect(harness.count == 2 && harness.pending == 0)
    }

    /// A message whose effects include a key of another type is dead-lettered by the worker and
    /// none of its effects is applied (not even the ones before the bad key); the rest of its
    /// batch is applied once.
    @Test(arguments: Kind.allCases)
    func aMessageWritingAKeyOfAnotherTypeIsDeadLetteredWithNothingHalfApplied(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        if let memory = harness.memory { memory.corrupt("t:bad") } else { _ = try harness.server!.connect().send(RedisCommand("SET", "t:bad", "x")) }
        let policy = Self.policy { message in
            if message.string("orderId") == "o-1" {
                return Effects([.increment(hash: "t:count", field: "n", by: 100), .increment(hash: "t:bad", field: "n", by: 1)])
            }
            return Self.counting
        }
        _ = try harness.append(3)
        let (worker, task) = harness.worker(policy, consumer: "a")
        try #require(await eventually { harness.deadLetters == 1 && harness.pending == 0 }, "dead \(harness.deadLetters), pending \(harness.pending)")
        #expect(harness.count == 2)
        worker.stop()
        try await task.value
    }

    /// A store that cannot take writes for a while (a failover, a cluster slot failing over or
    /// moving; on Redis: `min-replicas-to-write` unmet, so every script is refused with
    /// `NOREPLICAS`): the worker holds on to its batch and applies it once the store takes writes
    /// again; no message is delivered a second time (nothing counts toward `maxDeliveries`), each
    /// is applied once.
    @Test(arguments: Kind.allCases)
    func aStoreThatCannotTakeWritesForAWhileCostsNoDelivery(_ kind: Kind) async throws {
        let harness = try Harness(kind)
        func refuse(_ refusing: Bool) throws {
            if let memory = harness.memory { memory.refuseWrites(refusing); return }
            _ = try harness.server!.connect().send(RedisCommand("CONFIG", "SET", "min-replicas-to-write", refusing ? "1" : "0"))
        }
        func refusals() -> Int {
            if let memory = harness.memory { return memory.refusedApplies }
            let stats = (try? harness.server!.connect().send(RedisCommand("INFO", "commandstats")).string) ?? ""
            let line = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_evalsha:") } ?? ""
            return line.split(separator: ",").first { $0.hasPrefix("rejected_calls=") }.flatMap { Int($0.dropFirst("rejected_calls=".count)) } ?? 0
        }
        let handlings = Mutex(0)
        let policy = Self.policy { _ in handlings.withLock { $0 += 1 }; return Self.counting }
        let (worker, task) = harness.worker(policy, consumer: "a", claimIdle: 200, maxDeliveries: 1)
        _ = try harness.append(1)
        try #require(await eventually { harness.count == 1 && harness.pending == 0 }, "the worker runs")
        // Three entries, and the store stops taking writes before the worker can apply them
        // (on Redis in one transaction with the entries).
        if let memory = harness.memory {
            memory.refuseWrites(true)
            _ = try harness.append(3)
        } else {
            let connection = try harness.server!.connect()
            var commands = [RedisCommand("MULTI")]
            for index in 0..<3 { commands.append(RedisCommand("XADD", harness.stream, "*", "type", "T", "orderId", "o-\(index)", "at", "1", "data", "{}")) }
            commands += [RedisCommand("CONFIG", "SET", "min-replicas-to-write", "1"), RedisCommand("EXEC")]
            _ = try connection.pipeline(commands)
        }
        try #require(await eventually { refusals() >= 3 }, "the worker tried its batch again and again")
        #expect(harness.count == 1 && harness.pending == 3)
        harness.clock.advance(1_000)  // past the claim time: nobody takes the batch from the worker holding it
        try refuse(false)
        try #require(await eventually { harness.count == 4 && harness.pending == 0 }, "count \(harness.count), pending \(harness.pending)")
        #expect(handlings.withLock { $0 } == 4, "each handled once, never delivered again")
        #expect(harness.deadLetters == 0, "with maxDeliveries 1, a second delivery would have dead-lettered it")
        worker.stop()
        try await task.value
    }

    struct Flaky: Error {}
}
