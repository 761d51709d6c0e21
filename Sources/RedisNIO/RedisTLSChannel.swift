import NIOCore
import NIOSSL
import NIOTLS
import Redis
import Synchronization

/// TLS on the event loops' connections (`rediss…://`): swift-nio-ssl's client handler before
/// the Redis handler, the server's certificate checked against `RedisTLS.caFile` and the host
/// (its DNS name, or its IP address), and the connect awaited until the handshake is done, so a
/// refused certificate is told as `RedisError.tlsRefused` and not as a lost command.
enum RedisTLSChannel {
    private static let contexts = Mutex<[RedisTLS: NIOSSLContext]>([:])

    /// The context of these settings, made once per process (it reads the files).
    static func context(for tls: RedisTLS, endpoint: String) throws(RedisError) -> NIOSSLContext {
        let made = contexts.withLock { contexts -> Result<NIOSSLContext, RedisError> in
            if let known = contexts[tls] { return .success(known) }
            do {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.minimumTLSVersion = .tlsv12
                configuration.certificateVerification = .fullVerification
                if let ca = tls.caFile { configuration.trustRoots = .file(ca) }
                if let certificate = tls.certificateFile {
                    configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                }
                if let key = tls.keyFile { configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) }
                let context = try NIOSSLContext(configuration: configuration)
                contexts[tls] = context
                return .success(context)
            } catch {
                return .failure(.tlsRefused(endpoint: endpoint, reason: "cannot use the TLS files (\(tls.caFile ?? "system CAs"), \(tls.certificateFile ?? "no client certificate")): \(error)"))
            }
        }
        return try made.get()
    }

    /// Adds the handlers that go before the Redis handler: swift-nio-ssl's and a `HandshakeWaiter`
    /// of this channel's own (Happy Eyeballs may open several channels; only the winner's counts).
    static func addHandlers(context: NIOSSLContext, host: String, timeout: TimeAmount, to channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: RedisTLS.isIPAddress(host) ? nil : host))
        try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(promise: channel.eventLoop.makePromise(), timeout: timeout))
    }

    /// The handshake of the channel the connect returned; its waiter, which keeps the last TLS
    /// error of the channel (a refusal the server sends after the handshake closes the channel
    /// before a caller may learn why).
    static func handshake(of channel: any Channel) async throws -> HandshakeWaiter {
        let waiter = try await channel.pipeline.handler(type: HandshakeWaiter.self).get()
        try await waiter.promise.futureResult.get()
        return waiter
    }

    /// The typed error of a failed handshake: the server's TLS refused (its certificate, its
    /// name, no TLS at all) or the connection lost on the way.
    static func error(_ error: any Error, endpoint: String) -> RedisError {
        if let redis = error as? RedisError { return redis }
        switch error {
        case NIOSSLError.handshakeFailed(.sslError(let stack)) where stack.contains(.eofDuringHandshake):
            return .connectionFailed(endpoint: endpoint, reason: "the TLS handshake failed: the server closed the connection")
        case NIOSSLError.uncleanShutdown, ChannelError.eof, ChannelError.ioOnClosedChannel:
            return .connectionFailed(endpoint: endpoint, reason: "the TLS handshake failed: the server closed the connection")
        case NIOSSLError.handshakeFailed(let reason):
            return .tlsRefused(endpoint: endpoint, reason: "the TLS handshake failed: \(Self.describe(reason))")
        case let extra as NIOSSLExtraError:
            return .tlsRefused(endpoint: endpoint, reason: "the server's certificate was refused: \(extra)")
        default:
            return .connectionFailed(endpoint: endpoint, reason: "the TLS handshake failed: \(error)")
        }
    }

    private static func describe(_ error: BoringSSLError) -> String {
        let text = "\(error)"
        return text.contains("CERTIFICATE_VERIFY_FAILED") ? "the server's certificate is not trusted (\(text))" : text
    }

    /// Completes its promise when the handshake is done, fails it on an error, a close or after
    /// `timeout`; then stays out of the way.
    final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
        typealias InboundIn = NIOAny
        let promise: EventLoopPromise<Void>
        private let timeout: TimeAmount
        private var done = false
        private var timer: Scheduled<Void>?
        /// The last error the channel saw, for a caller that was told only that it closed.
        let lastError = Mutex<String?>(nil)

        init(promise: EventLoopPromise<Void>, timeout: TimeAmount) {
            self.promise = promise
            self.timeout = timeout
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: timeout) { [self] in
                finish(.failure(RedisError.connectionFailed(endpoint: "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
                                                            reason: "the TLS handshake timed out (does the server speak TLS on this port?)")))
                channel.close(promise: nil)
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted? = event as? TLSUserEvent { finish(.success(())) }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            lastError.withLock { $0 = "\(error)" }
            finish(.failure(error))
            context.fireErrorCaught(error)
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(ChannelError.eof))
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            finish(.failure(ChannelError.ioOnClosedChannel))
        }

        private func finish(_ result: Result<Void, any Error>) {
            guard !done else { return }
            done = true
            timer?.cancel()
            timer = nil
            promise.completeWith(result)
        }
    }
}
