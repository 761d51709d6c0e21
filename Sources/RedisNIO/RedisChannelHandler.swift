import NIOCore
import Redis

/// One Redis connection on a NIO channel: callers' commands are written as they come (many in
/// flight at once, flushed together at the end of the event loop's turn) and hiredis's reader
/// matches each reply to the caller that waits for it, in order. Everything here runs on the
/// channel's event loop.
///
/// When the connection breaks, every caller still waiting gets `connectionLost` (its command may
/// or may not have run); a command offered after that is refused with `ChannelGone` and never
/// written, so its sender may safely send it on a new connection.
final class RedisChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A caller waiting for one reply, or for the replies of a pipeline.
    enum Waiter {
        case reply(UnsafeContinuation<RESPValue, any Error>)
        case replies(count: Int, UnsafeContinuation<[RESPValue], any Error>)
    }

    /// The command was not written: the connection had closed already.
    struct ChannelGone: Error {}

    let eventLoop: any EventLoop
    private let readTimeout: TimeAmount
    /// Told once when the connection is gone, and when its server says it is not the primary.
    private let onClose: @Sendable (RedisError) -> Void
    private let onNotPrimary: @Sendable () -> Void

    private var context: ChannelHandlerContext?
    private let reader: RESPReader
    private var waiters = CircularBuffer<Waiter>(initialCapacity: 64)
    /// The replies so far of the pipeline at the head of `waiters`.
    private var batch: [RESPValue] = []
    private var outbound: ByteBuffer
    private var flushScheduled = false
    private var gone: RedisError?
    /// Close once the last waiter has its reply (the server is not the primary any more).
    private var retiring = false
    private var lastProgress = NIODeadline.now()
    private var timeoutCheck: Scheduled<Void>?

    /// The server it talks to.
    let endpoint: RedisEndpoint

    init(eventLoop: any EventLoop, endpoint: RedisEndpoint, readTimeout: TimeAmount, onClose: @escaping @Sendable (RedisError) -> Void,
         onNotPrimary: @escaping @Sendable () -> Void) throws(RedisError) {
        self.eventLoop = eventLoop
        self.endpoint = endpoint
        self.readTimeout = readTimeout
        self.onClose = onClose
        self.onNotPrimary = onNotPrimary
        self.reader = try RESPReader()
        self.outbound = ByteBufferAllocator().buffer(capacity: 4096)
    }

    // MARK: Callers (on the event loop)

    /// Writes the command (flushed at the end of this turn of the loop) and queues its waiter.
    func enqueue(_ command: RedisCommand, _ waiter: Waiter) {
        eventLoop.assertInEventLoop()
        guard gone == nil, !retiring, context != nil else { return refuse(waiter) }
        outbound.writeRedisCommand(command)
        append(waiter)
    }

    /// Writes every command of a pipeline; one waiter gets all their replies.
    func enqueue(_ commands: [RedisCommand], _ continuation: UnsafeContinuation<[RESPValue], any Error>) {
        eventLoop.assertInEventLoop()
        guard gone == nil, !retiring, context != nil else { return refuse(.replies(count: commands.count, continuation)) }
        for command in commands { outbound.writeRedisCommand(command) }
        append(.replies(count: commands.count, continuation))
    }

    /// Stops taking commands; closes once the waiting callers have their replies.
    func retire() {
        eventLoop.assertInEventLoop()
        retiring = true
        if waiters.isEmpty { context?.close(promise: nil) }
    }

    private func append(_ waiter: Waiter) {
        if waiters.isEmpty { lastProgress = .now() }
        waiters.append(waiter)
        if !flushScheduled {
            flushScheduled = true
            eventLoop.execute { self.flush() }
        }
        if timeoutCheck == nil { scheduleTimeoutCheck(at: lastProgress + readTimeout) }
    }

    private func flush() {
        flushScheduled = false
        guard let context, gone == nil, outbound.readableBytes > 0 else { return }
        context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
        outbound = context.channel.allocator.buffer(capacity: 4096)
    }

    private func refuse(_ waiter: Waiter) {
        switch waiter {
        case .reply(let continuation): continuation.resume(throwing: ChannelGone())
        case .replies(_, let continuation): continuation.resume(throwing: ChannelGone())
        }
    }

    // MARK: The channel

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do throws(RedisError) {
            try reader.feed(unwrapInboundIn(data))
            while let reply = try reader.next() {
                deliver(reply)
            }
        } catch {
            fail(error)
            context.close(promise: nil)
        }
    }

    private func deliver(_ reply: RESPValue) {
        lastProgress = .now()
        guard let head = waiters.first else {
            fail(.connectionLost(reason: "a reply nobody asked for: \(reply)"))
            context?.close(promise: nil)
            return
        }
        if case .notPrimary = reply.serverError { notPrimary() }
        switch head {
        case .reply(let continuation):
            waiters.removeFirst()
            continuation.resume(returning: reply)
        case .replies(let count, let continuation):
            batch.append(reply)
            guard batch.count == count else { return }
            waiters.removeFirst()
            let replies = batch
            batch = []
            continuation.resume(returning: replies)
        }
        if retiring && waiters.isEmpty { context?.close(promise: nil) }
    }

    private func notPrimary() {
        guard !retiring else { return }
        retiring = true
        onNotPrimary()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.connectionLost(reason: "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connectionLost(reason: "the server closed the connection"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(.connectionLost(reason: "the connection was closed"))
        self.context = nil
    }

    /// Every waiting caller gets the error; the owner is told once.
    private func fail(_ error: RedisError) {
        let first = gone == nil
        if first { gone = error }
        timeoutCheck?.cancel()
        timeoutCheck = nil
        let waiting = waiters
        waiters.removeAll()
        batch = []
        for waiter in waiting {
            switch waiter {
            case .reply(let continuation): continuation.resume(throwing: error)
            case .replies(_, let continuation): continuation.resume(throwing: error)
            }
        }
        if first { onClose(error) }
    }

    // MARK: Read timeout: callers waiting with no byte from the server for `readTimeout`

    private func scheduleTimeoutCheck(at deadline: NIODeadline) {
        timeoutCheck = eventLoop.scheduleTask(deadline: deadline) { [self] in
            timeoutCheck = nil
            guard !waiters.isEmpty, gone == nil else { return }
            let due = lastProgress + readTimeout
            if due > .now() {
                scheduleTimeoutCheck(at: due)
                return
            }
            fail(.connectionLost(reason: "no reply within \(readTimeout.nanoseconds / 1_000_000) ms"))
            context?.close(promise: nil)
        }
    }
}
