import NIOCore
import NIOHTTPTypes

/// On shutdown every connection is asked to finish, and Hummingbird closes one at once when no
/// request is in progress on it. A connection accepted just before the listening socket closed,
/// or one whose next request is half read, holds a request the client has already sent: closing
/// it would reset that request. This handler holds the shutdown event back until the request's
/// head has been read (Hummingbird then answers it with `Connection: close`), or until `wait`
/// passes. An idle kept-alive connection is closed at once, as before.
final class FirstRequestGrace: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let wait: TimeAmount
    /// No request head read on this connection yet.
    private var fresh = true
    /// Raw bytes arrived since the last request ended, and no head yet.
    private var partial = false
    private var inRequest = false
    private var held = false
    private var timer: Scheduled<Void>?

    init(wait: TimeAmount) {
        self.wait = wait
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let watcher = FirstByteWatcher { [weak self] in
            guard let self, !self.inRequest else { return }
            self.partial = true
        }
        try? context.pipeline.syncOperations.addHandler(watcher, position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            fresh = false
            partial = false
            inRequest = true
            context.fireChannelRead(data)
            release(context)
            return
        case .end:
            inRequest = false
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if held { return }  // asked twice (a connection accepted as the shutdown began): once is enough
        guard fresh || partial else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        held = true
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: wait) { [weak self] in self?.release(context) }
    }

    private func release(_ context: ChannelHandlerContext) {
        guard held else { return }
        held = false
        timer?.cancel()
        timer = nil
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
