import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection of `LoopHTTPClient`: one exchange at a time, the answer's
/// head and body gathered and handed to the waiting caller. On its event loop only.
final class HTTPExchangeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    struct Answer: Sendable {
        var status: Int
        var body: ByteBuffer
        /// The server keeps the connection open for the next exchange.
        var keepAlive: Bool
    }

    enum Failure: Error {
        /// The connection had closed before the request was written: send it on another.
        case closedBeforeWrite
        /// It closed, or broke, after the request was written: the server may have acted on it.
        case closed(String)
        case timedOut
        /// The caller's task was cancelled while it waited: the server may have acted on it.
        case cancelled
    }

    let eventLoop: any EventLoop
    /// Told when the connection is gone, so an idle one leaves its pool.
    var onClose: (() -> Void)?
    private var context: ChannelHandlerContext?
    private var waiting: UnsafeContinuation<Answer, any Error>?
    private var answer: Answer?
    private var timeout: Scheduled<Void>?
    private(set) var isOpen = true

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Writes the request and waits for the whole answer, at most `timeout`.
    func exchange(_ head: HTTPRequestHead, body: ByteBuffer?, timeout: TimeAmount, _ continuation: UnsafeContinuation<Answer, any Error>) {
        eventLoop.assertInEventLoop()
        guard isOpen, let context, waiting == nil else { return continuation.resume(throwing: Failure.closedBeforeWrite) }
        waiting = continuation
        answer = nil
        self.timeout = eventLoop.scheduleTask(in: timeout) { [self] in
            self.timeout = nil
            finish(.failure(Failure.timedOut))
            close()
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            answer = Answer(status: Int(head.status.code), body: context.channel.allocator.buffer(capacity: 0), keepAlive: head.isKeepAlive)
        case .body(var part):
            answer?.body.writeBuffer(&part)
        case .end:
            guard let answer else { return }
            self.answer = nil
            if !answer.keepAlive { close() }
            finish(.success(answer))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(Failure.closed("\(error)")))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        finish(.failure(Failure.closed("the gateway closed the connection")))
        onClose?()
        onClose = nil
        context.fireChannelInactive()
    }

    func close() {
        isOpen = false
        context?.close(promise: nil)
    }

    /// The caller gave up (its task was cancelled, e.g. a request cut at the end of a shutdown's
    /// grace period): the exchange fails and the connection closes, since its answer may still come.
    func cancel() {
        eventLoop.assertInEventLoop()
        guard waiting != nil else { return }
        finish(.failure(Failure.cancelled))
        close()
    }

    private func finish(_ result: Result<Answer, any Error>) {
        timeout?.cancel()
        timeout = nil
        guard let waiting else { return }
        self.waiting = nil
        waiting.resume(with: result)
    }
}
