import Logging
import Metrics
import NIOCore
import NIOPosix
import Redis
import Synchronization

/// The Redis connection of one event loop: made on first use (AUTH and SELECT as the
/// configuration says, at the address the endpoint resolver gives), replaced when it breaks or
/// its server turns out not to be the primary. Failed connects back off from 100 ms doubling up
/// to `maxBackoff`; while a back-off runs, calls fail at once with the last connect error, and
/// the first call after it tries again (every other caller waits for that attempt).
final class RedisLoopConnection: Sendable {
    let eventLoop: any EventLoop
    private let configuration: RedisConfiguration
    private let resolver: any RedisEndpointResolver
    private let maxBackoff: Duration
    private let logger: Logger
    private let state = Mutex(State.idle(Idle()))

    private enum State {
        case idle(Idle)
        case connecting(EventLoopFuture<RedisChannelHandler>)
        case ready(RedisChannelHandler)
        case closed
    }

    /// No connection: none yet, or the last one broke (`connectedBefore`), or connects failed.
    private struct Idle {
        var connectedBefore = false
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: RedisError?
    }

    private enum Next {
        case use(RedisChannelHandler)
        case wait(EventLoopFuture<RedisChannelHandler>)
        case connect(EventLoopPromise<RedisChannelHandler>, Idle)
        case fail(RedisError)
    }

    init(eventLoop: any EventLoop, configuration: RedisConfiguration, resolver: any RedisEndpointResolver, maxBackoff: Duration, logger: Logger) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.resolver = resolver
        self.maxBackoff = maxBackoff
        self.logger = logger
    }

    // MARK: Commands

    /// One command; its reply as it came, error replies included.
    func send(_ command: RedisCommand) async throws -> RESPValue {
        try await withLiveHandler { handler in
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<RESPValue, any Error>) in
                if handler.eventLoop.inEventLoop {
                    handler.enqueue(command, .reply(continuation))
                } else {
                    handler.eventLoop.execute { handler.enqueue(command, .reply(continuation)) }
                }
            }
        }
    }

    /// The commands in one write; their replies as they came, error replies included.
    func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        return try await withLiveHandler { handler in
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[RESPValue], any Error>) in
                if handler.eventLoop.inEventLoop {
                    handler.enqueue(commands, continuation)
                } else {
                    handler.eventLoop.execute { handler.enqueue(commands, continuation) }
                }
            }
        }
    }

    /// Runs `body` on the live connection; a command the connection refused unwritten (it had
    /// just closed) goes to a new one.
    private func withLiveHandler<T>(_ body: (RedisChannelHandler) async throws -> T) async throws -> T {
        while true {
            let handler = try await liveHandler()
            do {
                return try await body(handler)
            } catch is RedisChannelHandler.ChannelGone {
                forget(handler)
            }
        }
    }

    // MARK: Connecting

    private func liveHandler() async throws(RedisError) -> RedisChannelHandler {
        let next = state.withLock { state -> Next in
            switch state {
            case .ready(let handler):
                // Another connection of this process learnt that the primary moved: do not wait
                // for this one's timeout to find out. It closes once its callers have their replies.
                guard let moved = resolver.lastKnown, moved != handler.endpoint else { return .use(handler) }
                handler.eventLoop.execute { handler.retire() }
                let promise = eventLoop.makePromise(of: RedisChannelHandler.self)
                state = .connecting(promise.futureResult)
                return .connect(promise, Idle(connectedBefore: true))
            case .connecting(let future): return .wait(future)
            case .closed: return .fail(.closed)
            case .idle(let idle):
                if let retryAt = idle.retryAt, let lastError = idle.lastError, ContinuousClock.now < retryAt { return .fail(lastError) }
                let promise = eventLoop.makePromise(of: RedisChannelHandler.self)
                state = .connecting(promise.futureResult)
                return .connect(promise, idle)
            }
        }
        switch next {
        case .use(let handler):
            return handler
        case .fail(let error):
            throw error
        case .wait(let future):
            do { return try await future.get() } catch { throw error as? RedisError ?? .connectionFailed(endpoint: configuration.endpoint, reason: "\(error)") }
        case .connect(let promise, var idle):
            do throws(RedisError) {
                let handler = try await connect()
                let stillOpen = state.withLock { state -> Bool in
                    guard case .connecting = state else { return false }
                    state = .ready(handler)
                    return true
                }
                guard stillOpen else {
                    handler.eventLoop.execute { handler.retire() }
                    promise.fail(RedisError.closed)
                    throw .closed
                }
                if idle.connectedBefore || idle.failures > 0 { Counter(label: "baedal_redis_reconnects_total").increment() }
                if idle.failures > 0 {
                    logger.notice("redis reachable again", metadata: ["redis": "\(configuration)", "failedAttempts": "\(idle.failures)"])
                }
                promise.succeed(handler)
                return handler
            } catch {
                let delay = min(maxBackoff, .milliseconds(100 << min(idle.failures, 16)))
                idle.failures += 1
                idle.retryAt = .now + delay
                idle.lastError = error
                state.withLock { [idle] state in
                    guard case .connecting = state else { return }
                    state = .idle(idle)
                }
                logger.warning("redis unreachable; retrying with backoff", metadata: [
                    "redis": "\(configuration)", "reason": "\(error)", "retryInMs": "\(delay / .milliseconds(1))",
                ])
                promise.fail(error)
                throw error
            }
        }
    }

    /// A new channel with its handler, logged in and on the right database.
    private func connect() async throws(RedisError) -> RedisChannelHandler {
        let endpoint = try await resolver.endpoint()
        func failed(_ reason: String) -> RedisError { .connectionFailed(endpoint: endpoint.description, reason: reason) }
        let handler: RedisChannelHandler
        do {
            handler = try RedisChannelHandler(
                eventLoop: eventLoop, endpoint: endpoint, readTimeout: .milliseconds(Int64(configuration.readTimeoutMilliseconds)),
                onClose: { [weak self] error in self?.closed(error) },
                onNotPrimary: { [weak self] in self?.notPrimary() })
        } catch {
            throw failed(error.description)
        }
        // The TLS files are read (once) before connecting: a file that cannot be used is told as it is.
        let tls = try configuration.tls.map { tls throws(RedisError) in try RedisTLSChannel.context(for: tls, endpoint: endpoint.description) }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(.milliseconds(Int64(configuration.connectTimeoutMilliseconds)))
                .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
                .channelInitializer { [connectTimeout = configuration.connectTimeoutMilliseconds] channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try RedisTLSChannel.addHandlers(context: tls, host: endpoint.host, timeout: .milliseconds(Int64(connectTimeout)), to: channel)
                        }
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
                .get()
        } catch let error as NIOConnectionError {
            throw failed(error.connectionErrors.first.map { "\($0.error)" } ?? "\(error)")
        } catch {
            throw failed("\(error)")
        }
        var waiter: RedisTLSChannel.HandshakeWaiter?
        if tls != nil {
            do {
                waiter = try await RedisTLSChannel.handshake(of: channel)
            } catch {
                handler.eventLoop.execute { handler.retire() }
                throw RedisTLSChannel.error(error, endpoint: endpoint.description)
            }
        }
        var login: [RedisCommand] = []
        if let password = configuration.password {
            var auth = RedisCommand(["AUTH"])
            if let username = configuration.username { auth.append(username) }
            auth.append(password)
            login.append(auth)
        }
        if configuration.database != 0 { login.append(RedisCommand("SELECT", String(configuration.database))) }
        // Behind Sentinel: is it the primary? (A Sentinel may still name a demoted one.)
        if resolver.verifiesRole { login.append(RedisCommand("ROLE")) }
        // Under TLS 1.3 the server judges our certificate after our handshake: one round trip
        // belongs to connecting, so that its refusal is told here.
        if tls != nil, login.isEmpty { login.append(RedisCommand("PING")) }
        guard !login.isEmpty else { return handler }
        do {
            let commands = login
            let replies = try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[RESPValue], any Error>) in
                handler.eventLoop.execute { handler.enqueue(commands, continuation) }
            }
            if let error = replies.lazy.compactMap(\.serverError).first { throw error }
            if resolver.verifiesRole, let role = replies.last?.array?.first?.string, role != "master" {
                throw RedisError.notPrimary("the Sentinels named \(endpoint) the primary, but it answers ROLE as \(role)")
            }
        } catch {
            handler.eventLoop.execute { handler.retire() }
            let seen = "\(error) \(waiter?.lastError.withLock { $0 } ?? "")"
            if tls != nil, seen.uppercased().contains("ALERT") {
                throw RedisError.clientCertificateRefused(
                    endpoint: endpoint.description, "the server refused our TLS session: \(waiter?.lastError.withLock { $0 } ?? "\(error)")")
            }
            throw failed("\(error)")
        }
        return handler
    }

    // MARK: What the channel says

    /// The connection broke: the next call connects again (at once: it had worked).
    private func closed(_ error: RedisError) {
        let wasCurrent = state.withLock { state -> Bool in
            guard case .ready = state else { return false }
            state = .idle(Idle(connectedBefore: true))
            return true
        }
        if wasCurrent { logger.warning("redis connection lost; reconnecting", metadata: ["redis": "\(configuration)", "reason": "\(error)"]) }
    }

    /// The server answered READONLY or LOADING: new calls go to a new connection, made where
    /// the resolver says the primary is now; this one closes once its callers have their replies.
    private func notPrimary() {
        let wasCurrent = state.withLock { state -> Bool in
            guard case .ready = state else { return false }
            state = .idle(Idle(connectedBefore: true))
            return true
        }
        if wasCurrent { logger.warning("redis is not the primary; reconnecting", metadata: ["redis": "\(configuration)"]) }
    }

    /// The handler refused a command (it had closed): stop using it.
    private func forget(_ handler: RedisChannelHandler) {
        state.withLock { state in
            if case .ready(let current) = state, current === handler { state = .idle(Idle(connectedBefore: true)) }
        }
    }

    /// Later calls throw `closed`; the connection closes once its callers have their replies.
    func close() {
        let handler = state.withLock { state -> RedisChannelHandler? in
            defer { state = .closed }
            if case .ready(let handler) = state { return handler }
            return nil
        }
        if let handler { handler.eventLoop.execute { handler.retire() } }
    }
}
