import AsyncHTTPClient
import Foundation
import NIOCore
import Redis
import Synchronization
import Testing
import TestSupport

/// Issue 12: `baedal-api` restarted under load with its socket handed over like systemd does, and
/// SIGTERM with slow requests in flight.
@Suite("Zero-downtime restarts: socket handover and draining", .serialized)
struct ZeroDowntimeRestartTests {
    /// What each request of the load got.
    struct Outcome: Sendable {
        var started = ContinuousClock.now
        var status: Int?
        var orderId: String?
        var error: String?
    }

    /// What the load's clients share: their outcomes and when to stop.
    final class LoadState: Sendable {
        let outcomes = Mutex<[Outcome]>([])
        let stop = Atomic<Bool>(false)
        var answered: Int { outcomes.withLock { $0.count } }
    }

    @Test func theAPIRestartedThreeTimesUnderLoadAnswersEveryRequest() async throws {
        let deployment = try await Deployment(workers: [], holdAPISocket: true)
        #expect(deployment.api?.log.contains("from systemd (descriptor 3)") == true, "the API took the socket it was given")
        let customer = try await deployment.customer("c-restart")
        let state = LoadState()
        let clients = 6
        let perClient = 400

        // Several clients, each ordering with a key of its own on a new connection per request
        // (as siege does), until told to stop or their bound is reached.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        for index in 0..<perClient where !state.stop.load(ordering: .relaxed) {
                            var outcome = Outcome()
                            do {
                                let reply = try await deployment.placeOrder(customer, key: "restart-\(client)-\(index)", connectionClose: true)
                                outcome.status = reply.status
                                outcome.orderId = reply.object["orderId"] as? String
                                if reply.status != 201 { outcome.error = reply.body }
                            } catch {
                                outcome.error = "\(error)"
                            }
                            state.outcomes.withLock { $0.append(outcome) }
                        }
                    }
                }
            }
        }
        func answered() -> Int { state.answered }

        var exits: [Int32?] = []
        var restarts: [(began: ContinuousClock.Instant, ready: ContinuousClock.Instant)] = []
        for _ in 1...3 {
            let before = answered()
            #expect(await eventually(seconds: 60) { answered() >= before + 60 }, "the load goes on")
            let began = ContinuousClock.now
            exits.append(await deployment.stopAPI())
            try await deployment.startAPI()
            restarts.append((began, .now))
        }
        let before = answered()
        #expect(await eventually(seconds: 60) { answered() >= before + 60 })
        state.stop.store(true, ordering: .relaxed)
        await load.value

        let all = state.outcomes.withLock { $0 }
        let failures = all.filter { $0.status != 201 }
        #expect(exits == [0, 0, 0], "each instance exits 0 after SIGTERM")
        #expect(all.count >= 240)
        // The load did meet the restarts: requests were sent while no instance ran.
        for (index, restart) in restarts.enumerated() {
            let during = all.filter { $0.started >= restart.began && $0.started <= restart.ready }
            #expect(!during.isEmpty, "no request was sent during restart \(index + 1)")
        }
        #expect(failures.isEmpty, "\(failures.count) of \(all.count) requests not answered 201: \(failures.prefix(5))\n\(deployment.logs)")
        // Every 201 is an order: its OrderPlaced is on the stream, once.
        let created = all.compactMap(\.orderId)
        #expect(created.count == all.count)
        let placed = try placedOrderIds(deployment)
        #expect(placed.count == created.count && Set(placed) == Set(created), "\(placed.count) OrderPlaced for \(created.count) 201s")
        let during = all.filter { outcome in restarts.contains { outcome.started >= $0.began && outcome.started <= $0.ready } }
        print("restart under load: \(all.count) requests (\(during.count) sent while an instance stopped or started), \(failures.count) not 201, "
              + "restarts took \(restarts.map { $0.ready - $0.began })")
    }

    @Test func sigtermLetsSlowRequestsInFlightFinishThenExitsZero() async throws {
        let deployment = try await Deployment(payment: ["BAEDAL_PAYMENT_LATENCY_MS": "2000"], api: ["BAEDAL_PAYMENT_TIMEOUT_MS": "8000"],
                                              workers: [])
        let customer = try await deployment.customer("c-slow")
        let slow = (0..<4).map { index in
            Task { try await deployment.placeOrder(customer, key: "slow-\(index)") }
        }
        // All four are at the gateway: the API counts them in flight.
        let inFlight = await eventually(seconds: 10) { (try? await inFlightPosts(deployment)) == 4 }
        try #require(inFlight, "\(deployment.logs)")
        let api = try #require(deployment.api)
        api.signal(SIGTERM)
        // It stops accepting at once: a new connection is refused while the four are still in flight.
        #expect(await eventually(seconds: 1) { (try? RawSocket(port: deployment.apiPort)) == nil })
        #expect(api.isRunning, "still finishing the requests in flight")
        for request in slow {
            let reply = try await request.value
            #expect(reply.status == 201, "\(reply.body)")
        }
        #expect(await api.waitForExit() == 0)
        #expect(api.log.contains("every connection finished"), "\(api.log)")
        #expect(try placedOrderIds(deployment).count == 4)
    }

    @Test func aRequestSlowerThanTheGracePeriodIsCutAndTheProcessStillExitsZero() async throws {
        let deployment = try await Deployment(payment: ["BAEDAL_PAYMENT_LATENCY_MS": "6000"],
                                              api: ["BAEDAL_PAYMENT_TIMEOUT_MS": "10000", "BAEDAL_HTTP_SHUTDOWN_GRACE_MS": "1000"],
                                              workers: [])
        let customer = try await deployment.customer("c-grace")
        let request = Task { try await deployment.placeOrder(customer, key: "grace") }
        try #require(await eventually(seconds: 10) { (try? await inFlightPosts(deployment)) == 1 })
        let api = try #require(deployment.api)
        let signalled = ContinuousClock.now
        api.signal(SIGTERM)
        #expect(await api.waitForExit(seconds: 10) == 0)
        let took = ContinuousClock.now - signalled
        #expect(took < .seconds(5), "bounded by the grace period, not by the 6 s request: \(took)")
        #expect(api.log.contains("grace period over"), "\(api.log)")
        #expect((try? await request.value)?.status == nil, "the request was cut")
    }

    @Test func aSocketPassedThatIsNotListeningIsAOneLineErrorAndExitTwo() async throws {
        let redis = try RedisServer()
        // A TCP socket that is bound but not listening: what a .socket unit with Accept=yes would not give either.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        let api = try BaedalProcess("baedal-api", [], environment: ["BAEDAL_REDIS_URL": redis.url, "BAEDAL_JWT_SECRET": Deployment.secret],
                                    listeningSocket: fd)
        #expect(await api.waitForExit() == 2)
        #expect(api.log.contains("not listening"), "\(api.log)")
    }

    /// `http_server_active_requests` for POST on the API's /metrics.
    func inFlightPosts(_ deployment: Deployment) async throws -> Int? {
        let metrics = try await deployment.call("GET", "/metrics")
        let line = metrics.body.split(separator: "\n").first { $0.hasPrefix("http_server_active_requests") }
        // The scrape is itself a request in flight.
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) - 1 }
    }

    /// The order id of every OrderPlaced on the order stream.
    func placedOrderIds(_ deployment: Deployment) throws -> [String] {
        let entries = try deployment.redisCommand("XRANGE", "baedal:events:order", "-", "+").array ?? []
        return entries.compactMap { entry -> String? in
            let fields = RESPValue.array(entry.array?.last?.array ?? []).fields
            return fields["type"]?.string == "OrderPlaced" ? fields["orderId"]?.string : nil
        }
    }
}
