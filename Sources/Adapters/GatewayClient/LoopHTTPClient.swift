import NIOCore
import NIOHTTP1
import NIOPosix
import RedisNIO

/// A small keep-alive HTTP/1.1 client (plain `http://`) whose connections stay on the caller's
/// event loop: one pool per loop, so a request handled on a loop calls out and reads the answer
/// on that same thread. One exchange per connection at a time; up to `maxConnectionsPerLoop`
/// connections per loop, callers beyond that wait for one to come free.
final class LoopHTTPClient: Sendable {
    enum Failure: Error, Sendable {
        /// No connection could be made: the server never saw the request.
        case unreachable(String)
        /// No whole answer before the deadline: the server may have acted on the request.
        case timedOut
        /// The connection broke after the request was written: the server may have acted on it.
        case broken(String)
    }

    let host: String
    let port: Int
    private let pools: PerEventLoop<LoopConnectionPool>

    init(host: String, port: Int, connectTimeout: Duration, maxConnectionsPerLoop: Int = 64,
         group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        pools = PerEventLoop(group: group) {
            LoopConnectionPool(eventLoop: $0, host: host, port: port, connectTimeout: .nanoseconds(Int64(connectTimeout / .nanoseconds(1))),
                               limit: maxConnectionsPerLoop)
        }
    }

    /// One exchange; the answer's status and body.
    func execute(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: String?, timeout: Duration) async throws(Failure) -> (status: Int, body: ByteBuffer) {
        let pool = pools.current
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout / .nanoseconds(1)))
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.reserveCapacity(headers.count + 3)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let bytes = body.map { ByteBuffer(string: $0) }
        head.headers.add(name: "Content-Length", value: String(bytes?.readableBytes ?? 0))
        let request = head
        if Task.isCancelled { throw .unreachable("the request was cancelled before it was sent") }
        while true {
            let connection = try await pool.acquire(before: deadline)
            do {
                let answer = try await withTaskCancellationHandler {
                    try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<HTTPExchangeHandler.Answer, any Error>) in
                        let exchange: @Sendable () -> Void = { connection.exchange(request, body: bytes, timeout: deadline - .now(), continuation) }
                        if pool.eventLoop.inEventLoop { exchange() } else { pool.eventLoop.execute(exchange) }
                    }
                } onCancel: {
                    // Always a hop: the handler may be mid-exchange on its loop right now.
                    pool.eventLoop.execute { connection.cancel() }
                }
                pool.release(connection)
                return (answer.status, answer.body)
            } catch HTTPExchangeHandler.Failure.closedBeforeWrite {
                pool.release(connection)  // it had closed while idle: the request goes out on another
            } catch HTTPExchangeHandler.Failure.timedOut {
                pool.release(connection)
                throw .timedOut
            } catch {
                pool.release(connection)
                throw .broken("\(error)")
            }
        }
    }

    func shutdown() {
        for (_, pool) in pools.elements { pool.shutdown() }
    }
}

/// The idle connections of one event loop, and the callers waiting for one. On its loop only.
final class LoopConnectionPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let host: String
    private let port: Int
    private let connectTimeout: TimeAmount
    private let limit: Int
    private var idle: [HTTPExchangeHandler] = []
    private var open = 0
    private var waiting = CircularBuffer<UnsafeContinuation<HTTPExchangeHandler, any Error>>()
    private var isShutDown = false

    init(eventLoop: any EventLoop, host: String, port: Int, connectTimeout: TimeAmount, limit: Int) {
        self.eventLoop = eventLoop
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.limit = limit
    }

    /// An open connection: an idle one, a new one, or the next one released.
    func acquire(before deadline: NIODeadline) async throws(LoopHTTPClient.Failure) -> HTTPExchangeHandler {
        do {
            return try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<HTTPExchangeHandler, any Error>) in
                if eventLoop.inEventLoop { acquire(continuation, deadline: deadline) } else {
                    eventLoop.execute { self.acquire(continuation, deadline: deadline) }
                }
            }
        } catch let error as LoopHTTPClient.Failure {
            throw error
        } catch {
            throw .unreachable("\(error)")
        }
    }

    private func acquire(_ continuation: UnsafeContinuation<HTTPExchangeHandler, any Error>, deadline: NIODeadline) {
        if isShutDown { return continuation.resume(throwing: LoopHTTPClient.Failure.unreachable("the client is shut down")) }
        if let connection = idle.popLast() { return continuation.resume(returning: connection) }
        guard open < limit else { return waiting.append(continuation) }
        open += 1
        let handler = HTTPExchangeHandler(eventLoop: eventLoop)
        handler.onClose = { [unowned self, unowned handler] in self.closedWhileIdle(handler) }
        ClientBootstrap(group: eventLoop)
            .connectTimeout(min(connectTimeout, max(.zero, deadline - .now())))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .success:
                    continuation.resume(returning: handler)
                case .failure(let error):
                    self.open -= 1
                    var reason = (error as? NIOConnectionError)?.connectionErrors.first.map { "\($0.error)" } ?? "\(error)"
                    if case ChannelError.connectTimeout = error { reason = "connect timed out" }
                    continuation.resume(throwing: LoopHTTPClient.Failure.unreachable(reason))
                    // Whoever waited for a connection to come free tries its own connect now.
                    if let next = self.waiting.popFirst() { self.acquire(next, deadline: .now() + self.connectTimeout) }
                }
            }
    }

    /// Back to the pool after an exchange: to the first waiting caller, or idle; a closed one
    /// makes room for a new connection.
    func release(_ connection: HTTPExchangeHandler) {
        if eventLoop.inEventLoop { released(connection) } else { eventLoop.execute { self.released(connection) } }
    }

    private func released(_ connection: HTTPExchangeHandler) {
        guard connection.isOpen, !isShutDown else {
            connection.onClose = nil
            connection.close()
            open -= 1
            if let next = waiting.popFirst() { acquire(next, deadline: .now() + connectTimeout) }
            return
        }
        if let next = waiting.popFirst() { next.resume(returning: connection) } else { idle.append(connection) }
    }

    private func closedWhileIdle(_ connection: HTTPExchangeHandler) {
        guard let index = idle.firstIndex(where: { $0 === connection }) else { return }
        idle.remove(at: index)
        open -= 1
    }

    func shutdown() {
        eventLoop.execute {
            self.isShutDown = true
            for connection in self.idle { connection.close() }
            self.idle = []
            while let next = self.waiting.popFirst() { next.resume(throwing: LoopHTTPClient.Failure.unreachable("the client is shut down")) }
        }
    }
}
