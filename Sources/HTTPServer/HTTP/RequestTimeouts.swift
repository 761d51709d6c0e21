import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Slow clients cannot hold a connection forever: once the first byte of a request arrives, its
/// head must be complete within `head` and the whole request within `whole`; otherwise the
/// connection is closed (with a `408` when no response has begun). Waiting between requests on a
/// kept-alive connection is the idle timeout's business, not this one's.
///
/// It sits after the HTTP codec (it sees request heads) and puts a small watcher before the
/// decoder (it sees the first raw byte).
final class RequestTimeouts: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let defaultHead = TimeAmount.seconds(10)
    static let defaultWhole = TimeAmount.seconds(30)

    private let head: TimeAmount
    private let whole: TimeAmount
    private var headTimer: Scheduled<Void>?
    private var wholeTimer: Scheduled<Void>?
    private var reading = false
    private var responding = false

    init(head: TimeAmount = RequestTimeouts.defaultHead, whole: TimeAmount = RequestTimeouts.defaultWhole) {
        self.head = head
        self.whole = whole
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let watcher = FirstByteWatcher { [weak self] in self?.firstByte(context) }
        try? context.pipeline.syncOperations.addHandler(watcher, position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancelTimers() }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    /// The first byte of a request (or of the connection's first request) arrived.
    private func firstByte(_ context: ChannelHandlerContext) {
        guard !reading else { return }
        reading = true
        headTimer = context.eventLoop.scheduleTask(in: head) { [weak self] in self?.expire(context, headSeen: false) }
        wholeTimer = context.eventLoop.scheduleTask(in: whole) { [weak self] in self?.expire(context, headSeen: true) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            headTimer?.cancel()
            headTimer = nil
        case .end:
            wholeTimer?.cancel()
            wholeTimer = nil
            reading = false
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responding = true
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }

    private func expire(_ context: ChannelHandlerContext, headSeen: Bool) {
        cancelTimers()
        guard context.channel.isActive else { return }
        if !headSeen && !responding {
            let body = #"{"error":"request_timeout","message":"the request's head did not arrive in time"}"#
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            let response = HTTPResponse(status: .requestTimeout, headerFields: [
                .contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes), .connection: "close",
            ])
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.write(wrapOutboundOut(.body(buffer)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    private func cancelTimers() {
        headTimer?.cancel()
        wholeTimer?.cancel()
        headTimer = nil
        wholeTimer = nil
    }
}

/// Tells `RequestTimeouts` when raw bytes arrive; passes everything on untouched.
final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let arrived: () -> Void

    init(_ arrived: @escaping () -> Void) { self.arrived = arrived }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived()
        context.fireChannelRead(data)
    }
}
