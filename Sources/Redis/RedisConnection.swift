import CHiredis
import CRedisTLS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking hiredis connection. Not thread-safe: use it from one thread at a time
/// (a `RedisClient` gives it a queue of its own). Only `interrupt()` may be called from elsewhere.
///
/// After any I/O or protocol error hiredis's context is dead: the connection marks itself
/// broken and every later call throws `connectionLost` until it is replaced.
public final class RedisConnection: @unchecked Sendable {
    public let configuration: RedisConfiguration
    private var context: UnsafeMutablePointer<redisContext>?
    /// Where hiredis builds replies (see shim.h); reset after each reply has been read.
    private var arena: UnsafeMutablePointer<baedal_arena>?
    /// The OpenSSL session for `rediss…://` (see CRedisTLS/shim.h); nil in clear text.
    private var tls: OpaquePointer?
    /// The socket, readable from other threads for `interrupt()`; -1 once closed.
    private let socket = Mutex<Int32>(-1)

    public private(set) var isBroken = false
    /// For a Sentinel-resolved connection, the primary it reached; for a cluster connection, the
    /// node it reached (for one pinned to a slot, that slot's primary).
    public internal(set) var primary: RedisConfiguration.Endpoint?
    /// The resolver that named `primary`.
    private var sentinels: SentinelResolver?
    /// For a connection pinned to a cluster slot: what it serves and the map that sent it there.
    var clusterPin: ClusterPin?

    /// Connects, then authenticates and selects the database the configuration names. For
    /// `redis-sentinel://` it connects to the primary the Sentinels name now, and checks with
    /// `ROLE` that it is one (the spec: a Sentinel may still name a demoted primary).
    ///
    /// For `redis-cluster://` it connects to the primary of the configuration's slot (see
    /// `RedisConfiguration.pinned(to:)`), or, without a slot, to any node that answers.
    public convenience init(configuration: RedisConfiguration) throws(RedisError) {
        if configuration.cluster != nil {
            let (connection, pin) = try Self.connect(cluster: configuration)
            self.init(adopting: connection)
            clusterPin = pin
            return
        }
        guard let resolver = SentinelResolver.shared(for: configuration) else {
            try self.init(plain: configuration)
            return
        }
        let primary = try resolver.primary()
        try self.init(plain: configuration.at(primary))
        let role = try send(RedisCommand("ROLE"))
        guard role.array?.first?.string == "master" else {
            close()
            throw .connectionFailed(endpoint: primary.description,
                                    reason: "the Sentinels named it the primary of '\(resolver.sentinel.masterName)', but it answers as \(role.array?.first?.string ?? "?")")
        }
        self.primary = primary
        sentinels = resolver
    }

    /// For a Sentinel-resolved connection: another connection of this process has since learnt
    /// that the primary moved (a failover). Replace it now rather than find out by a timeout: a
    /// frozen or cut-off old primary costs every connection its read timeout otherwise.
    ///
    /// For a connection pinned to a cluster slot: the slot has moved to another primary (a
    /// failover, a reshard) or its node answered `MOVED`.
    public var isBehindAFailover: Bool {
        if let clusterPin { return clusterPin.isStale }
        guard let primary, let sentinels else { return false }
        return sentinels.lastPrimary.map { $0 != primary } ?? false
    }

    /// Connects to exactly the configured server (no Sentinel), then AUTH and SELECT.
    public init(plain configuration: RedisConfiguration) throws(RedisError) {
        self.configuration = configuration
        let connectTimeout = Self.timeval(milliseconds: configuration.connectTimeoutMilliseconds)
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port), connectTimeout) else {
            throw .connectionFailed(endpoint: configuration.endpoint, reason: "out of memory")
        }
        if context.pointee.err != 0 {
            let reason = Self.errorText(context)
            redisFree(context)
            throw .connectionFailed(endpoint: configuration.endpoint, reason: reason)
        }
        guard let arena = baedal_arena_attach(context) else {
            redisFree(context)
            throw .connectionFailed(endpoint: configuration.endpoint, reason: "out of memory")
        }
        self.context = context
        self.arena = arena
        socket.withLock { $0 = context.pointee.fd }
        redisEnableKeepAlive(context)
        if let settings = configuration.tls {
            redisSetTimeout(context, connectTimeout)  // the handshake is part of connecting
            do {
                tls = try RedisTLSSession.handshake(context, tls: settings, host: configuration.host, endpoint: configuration.endpoint)
            } catch {
                close()
                throw error
            }
        }
        redisSetTimeout(context, Self.timeval(milliseconds: configuration.readTimeoutMilliseconds))
        do {
            if let password = configuration.password {
                var auth = RedisCommand(["AUTH"])
                if let username = configuration.username { auth.append(username) }
                auth.append(password)
                _ = try send(auth)
            }
            if configuration.database != 0 {
                _ = try send(RedisCommand("SELECT", String(configuration.database)))
            }
            // Under TLS 1.3 the server judges our certificate after our handshake is done: one
            // round trip belongs to connecting, so that its refusal is told here.
            if tls != nil, configuration.password == nil, configuration.database == 0 {
                _ = try send(RedisCommand("PING"))
            }
        } catch {
            let secure = tls != nil
            close()
            if secure, case .connectionLost(let reason) = error, reason.hasPrefix("TLS refused by the server") {
                throw RedisError.clientCertificateRefused(endpoint: configuration.endpoint, reason)
            }
            throw .connectionFailed(endpoint: configuration.endpoint, reason: error.description)
        }
    }

    /// Takes over another connection's socket and hiredis context (a cluster connection is found
    /// by trying nodes in turn); `other` is left closed.
    private init(adopting other: RedisConnection) {
        configuration = other.configuration
        context = other.context
        arena = other.arena
        tls = other.tls
        let fd = other.socket.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        socket.withLock { $0 = fd }
        primary = other.primary
        other.context = nil
        other.arena = nil
        other.tls = nil
        other.isBroken = true
    }

    deinit { close() }

    /// Sends one command and waits for its reply. An error reply is thrown as `RedisError.server`.
    public func send(_ command: RedisCommand) throws(RedisError) -> RESPValue {
        let reply = try sendKeepingErrors(command)
        if let error = reply.serverError { throw error }
        return reply
    }

    /// Sends one command; an error reply comes back as `.error` instead of being thrown.
    public func sendKeepingErrors(_ command: RedisCommand) throws(RedisError) -> RESPValue {
        try withRawReply(command) { RESPValue($0) }
    }

    /// Sends one command and lends its hiredis reply to `body`, then frees it.
    func withRawReply<T>(_ command: RedisCommand, _ body: (UnsafePointer<redisReply>) throws(RedisError) -> T) throws(RedisError) -> T {
        let context = try liveContext()
        try append(command, to: context)
        var raw: UnsafeMutableRawPointer?
        if readReply(context, &raw) != REDIS_OK || raw == nil { throw breakConnection() }
        defer { baedal_arena_reset(arena) }
        let reply = raw!.assumingMemoryBound(to: redisReply.self)
        noticeFailover(reply)
        return try body(reply)
    }

    /// hiredis's `redisGetReply`, through the TLS session when there is one.
    private func readReply(_ context: UnsafeMutablePointer<redisContext>, _ raw: inout UnsafeMutableRawPointer?) -> Int32 {
        if let tls { return baedal_tls_get_reply(context, tls, &raw) }
        return redisGetReply(context, &raw)
    }

    /// Queues the command's RESP bytes in hiredis's output buffer (sent by the next read).
    private func append(_ command: RedisCommand, to context: UnsafeMutablePointer<redisContext>) throws(RedisError) {
        let status = command.encoded.withUnsafeBufferPointer { encoded in
            encoded.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
        }
        if status != REDIS_OK { throw breakConnection() }
    }

    /// Writes every command, then reads every reply: one round trip for the lot. Every reply is
    /// read (the connection stays in step); the first error reply is then thrown.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RESPValue] {
        let replies = try pipelineKeepingErrors(commands)
        if let error = replies.lazy.compactMap(\.serverError).first { throw error }
        return replies
    }

    /// Like `pipeline`, but error replies stay in place as `.error` values, for callers that
    /// expect some (`BUSYGROUP` when a group exists).
    public func pipelineKeepingErrors(_ commands: [RedisCommand]) throws(RedisError) -> [RESPValue] {
        let context = try liveContext()
        for command in commands { try append(command, to: context) }
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if readReply(context, &raw) != REDIS_OK || raw == nil { throw breakConnection() }
            let reply = raw!.assumingMemoryBound(to: redisReply.self)
            noticeFailover(reply)
            replies.append(RESPValue(reply))
            baedal_arena_reset(arena)
        }
        return replies
    }

    /// True when the server has closed the socket while the connection sat idle (a Redis
    /// restart, `CLIENT KILL`, an idle timeout). Cheap: one non-blocking peek.
    public var peerHasClosed: Bool {
        guard !isBroken, let context else { return true }
        var byte: UInt8 = 0
        let received = recv(context.pointee.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if received == 0 { return true }  // orderly EOF
        if received < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        // Over TLS the bytes may be the server's close_notify, or a TLS 1.3 session ticket.
        if let tls { return baedal_tls_peer_closed(tls, context.pointee.fd) != 0 }
        return false  // unread bytes would be a protocol error, but not an EOF
    }

    /// Wakes a thread blocked in this connection (e.g. `XREADGROUP ... BLOCK`) at once by shutting
    /// the socket down. The blocked call fails with `connectionLost`; the connection is then dead.
    public func interrupt() {
        socket.withLock { fd in
            if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    public func close() {
        socket.withLock { $0 = -1 }
        if let tls { baedal_tls_free(tls) }
        tls = nil
        if let context { redisFree(context) }
        if let arena { baedal_arena_destroy(arena) }
        context = nil
        arena = nil
        isBroken = true
    }

    /// A server that answers `READONLY` (a demoted primary), `LOADING` or `MASTERDOWN` is not the
    /// primary we need: the connection is given up, so the next call connects (and, with
    /// Sentinel, asks for the primary) again.
    private func noticeFailover(_ reply: UnsafePointer<redisReply>) {
        guard reply.pointee.type == REDIS_REPLY_ERROR, let text = reply.pointee.str else { return }
        let message = String(cString: text)
        let code = RedisError.server(message).serverCode ?? ""
        if RedisError.notPrimaryCodes.contains(code) { isBroken = true }
        if clusterPin != nil, RedisError.routingCodes.contains(code), let routing = ClusterRouting(errorReply: message) {
            clusterPin?.notice(routing)
        }
    }

    private func liveContext() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        guard let context, !isBroken else { throw .connectionLost(reason: "connection already broken") }
        return context
    }

    private func breakConnection() -> RedisError {
        let reason = context.map(Self.errorText) ?? "closed"
        isBroken = true
        return .connectionLost(reason: reason)
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if !text.isEmpty { return text }
        switch context.pointee.err {
        case REDIS_ERR_EOF: return "server closed the connection"
        case REDIS_ERR_IO: return "I/O error"
        default: return "error \(context.pointee.err)"
        }
    }

    private static func timeval(milliseconds: Int) -> timeval {
        Glibc.timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
    }
}

extension RESPValue {
    /// Copies a hiredis reply tree into Swift values.
    package init(_ reply: UnsafePointer<redisReply>) {
        let view = RESPView(reply: reply)
        switch reply.pointee.type {
        case REDIS_REPLY_STRING: self = .bulk(view.bytes)
        case REDIS_REPLY_ARRAY: self = .array((0..<view.count).map { view[$0].value })
        case REDIS_REPLY_INTEGER: self = .integer(reply.pointee.integer)
        case REDIS_REPLY_NIL: self = .null
        case REDIS_REPLY_STATUS: self = .status(view.string)
        case REDIS_REPLY_ERROR: self = .error(view.string)
        default: self = .error("unknown reply type \(reply.pointee.type)")
        }
    }
}
