import Logging
import Synchronization

/// The provider's keys as this process knows them, and when to ask for them again.
///
/// - A token's `kid` is looked up in the set held; a key found is used at once, even when the set
///   is past its freshness (`KeySetFreshness`): it is then fetched again in the background, and a
///   provider that does not answer changes nothing but a warning, logged once per outage (and a
///   notice when it answers again). Keys are never dropped for want of an answer.
/// - An unknown `kid` (a key the provider just added) fetches the set again, at most once per
///   `refreshInterval` (30 s): a flood of made-up `kid`s costs the provider one request per
///   interval, and is otherwise refused at once. However many requests wait, one fetch is in
///   flight, and they all wait on it.
/// - A `kid` that left the set (the provider removed its key) is remembered as retired: refused
///   without a fetch.
public final class KeySetCache: Sendable {
    public typealias Fetch = @Sendable () async throws(KeySetError) -> KeySetDocument
    public typealias Now = @Sendable () -> ContinuousClock.Instant

    public static let defaultRefreshInterval: Duration = .seconds(30)
    /// Retired `kid`s remembered (a provider rotates a few keys a year).
    static let maxRetired = 64

    public enum Lookup: Sendable {
        case key(KeySet.Key)
        case retired
        case unknown(TokenError.KeyRefresh)
    }

    /// What the cache has done, for tests and logs.
    public struct Status: Sendable, Hashable {
        public var keyIDs: [String]
        /// Fetches after the first (successful or not).
        public var refreshes: Int
        public var failedRefreshes: Int
        /// Requests waiting now for the fetch in flight.
        public var waiting: Int
        public var lastFailure: String?
    }

    private struct State {
        var set: KeySet
        var staleAt: ContinuousClock.Instant
        var lastRefresh: ContinuousClock.Instant?
        var inFlight: Task<Void, Never>?
        var retired: [String] = []
        var refreshes = 0
        var failedRefreshes = 0
        var consecutiveFailures = 0
        var waiting = 0
        var lastFailure: String?
    }

    private let state: Mutex<State>
    private let fetch: Fetch
    private let now: Now
    private let refreshInterval: Duration
    private let logger: Logger

    /// Fetches the set a first time: a set that cannot be had, or holds no usable key, is an error
    /// (the API does not start on it).
    public static func start(fetch: @escaping Fetch, source: String, now: @escaping Now = { .now },
                             refreshInterval: Duration = defaultRefreshInterval, logger: Logger) async throws(KeySetError) -> KeySetCache {
        let document = try await fetch()
        let set = try await KeySet.read(document.bytes)
        guard !set.isEmpty else { throw .noUsableKeys(skipped: set.skipped) }
        logger.notice("the provider's key set \(source): \(Self.describe(set)), fetched again in \(document.freshSeconds) s or for an unknown kid")
        return KeySetCache(set: set, staleAt: now() + .seconds(document.freshSeconds), fetch: fetch, now: now,
                           refreshInterval: refreshInterval, logger: logger)
    }

    private init(set: KeySet, staleAt: ContinuousClock.Instant, fetch: @escaping Fetch, now: @escaping Now, refreshInterval: Duration, logger: Logger) {
        state = Mutex(State(set: set, staleAt: staleAt))
        self.fetch = fetch
        self.now = now
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// The key of `kid`, fetching the set again for an unknown one when allowed.
    public func key(for kid: String) async -> Lookup {
        enum Step { case answer(Lookup), wait(Task<Void, Never>) }
        let step: Step = state.withLock { state in
            let now = self.now()
            if let key = state.set.keys[kid] {
                if now >= state.staleAt { _ = startRefresh(&state, now: now) }
                return .answer(.key(key))
            }
            if state.retired.contains(kid) { return .answer(.retired) }
            if let refresh = startRefresh(&state, now: now) {
                state.waiting += 1
                return .wait(refresh)
            }
            let ago = state.lastRefresh.map { now - $0 } ?? .zero
            return .answer(.unknown(.tooSoon(secondsAgo: Int(ago.components.seconds), interval: Int(refreshInterval.components.seconds))))
        }
        let refresh: Task<Void, Never>
        switch step {
        case .answer(let lookup): return lookup
        case .wait(let inFlight): refresh = inFlight
        }
        await refresh.value
        return state.withLock { state in
            state.waiting -= 1
            if let key = state.set.keys[kid] { return .key(key) }
            if state.retired.contains(kid) { return .retired }
            if let failure = state.lastFailure { return .unknown(.failed(failure)) }
            return .unknown(.refreshed)
        }
    }

    /// Whether the set still holds `kid` (a token verified earlier with it is still vouched for).
    public func holds(_ kid: String) -> Bool {
        state.withLock { $0.set.keys[kid] != nil }
    }

    public var status: Status {
        state.withLock { state in
            Status(keyIDs: state.set.keyIDs, refreshes: state.refreshes, failedRefreshes: state.failedRefreshes,
                   waiting: state.waiting, lastFailure: state.lastFailure)
        }
    }

    /// The fetch in flight, or a new one unless the last began less than `refreshInterval` ago.
    private func startRefresh(_ state: inout State, now: ContinuousClock.Instant) -> Task<Void, Never>? {
        if let inFlight = state.inFlight { return inFlight }
        if let last = state.lastRefresh, now - last < refreshInterval { return nil }
        state.lastRefresh = now
        let refresh = Task { await self.refresh() }
        state.inFlight = refresh
        return refresh
    }

    private func refresh() async {
        let outcome: Result<(set: KeySet, freshSeconds: Int), KeySetError>
        do throws(KeySetError) {
            let document = try await fetch()
            let set = try await KeySet.read(document.bytes)
            // An empty set is more likely a broken provider than one that revoked every key.
            guard !set.isEmpty else { throw .noUsableKeys(skipped: set.skipped) }
            outcome = .success((set, document.freshSeconds))
        } catch {
            outcome = .failure(error)
        }
        let message: (level: Logger.Level, text: String)? = state.withLock { state in
            state.inFlight = nil
            state.refreshes += 1
            switch outcome {
            case .success(let fetched):
                let removed = state.set.keys.keys.filter { fetched.set.keys[$0] == nil }.sorted()
                let added = fetched.set.keys.keys.filter { state.set.keys[$0] == nil }.sorted()
                state.retired = Array((state.retired.filter { fetched.set.keys[$0] == nil } + removed).suffix(Self.maxRetired))
                state.set = fetched.set
                state.staleAt = now() + .seconds(fetched.freshSeconds)
                let recovered = state.consecutiveFailures > 0
                state.consecutiveFailures = 0
                state.lastFailure = nil
                guard recovered || !added.isEmpty || !removed.isEmpty else { return nil }
                return (.notice, (recovered ? "the provider's key set could be fetched again: " : "the provider's key set changed: ")
                    + "\(Self.describe(fetched.set))" + (added.isEmpty ? "" : "; added \(added.joined(separator: ", "))")
                    + (removed.isEmpty ? "" : "; removed \(removed.joined(separator: ", ")), refused from now on"))
            case .failure(let error):
                state.failedRefreshes += 1
                state.consecutiveFailures += 1
                state.lastFailure = error.description
                // Once per outage: a provider down for an hour is one warning, not one per request.
                guard state.consecutiveFailures == 1 else { return nil }
                return (.warning, "\(error); verifying with the \(state.set.keys.count) keys fetched before "
                    + "(\(state.set.keyIDs.joined(separator: ", "))), tried again at most every \(Int(refreshInterval.components.seconds)) s")
            }
        }
        if let message { logger.log(level: message.level, "\(message.text)") }
    }

    private static func describe(_ set: KeySet) -> String {
        let keys = set.keyIDs.map { "\($0) (\(set.keys[$0]?.algorithm.rawValue ?? ""))" }.joined(separator: ", ")
        return "\(set.keys.count) keys, \(keys)" + (set.skipped.isEmpty ? "" : "; not used: \(set.skipped.prefix(5).joined(separator: "; "))")
    }
}
