import Daemon
import Logging
import NIOCore
import Synchronization

/// The connections a server has accepted, so that a graceful shutdown can stop accepting, ask
/// each connection to finish (`ChannelShouldQuiesceEvent`) and, once the grace period is over,
/// cut those still open (`enforceGrace`).
final class ConnectionDrain: Sendable {
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    /// Connections accepted (seen by the server channel) and handed to the server's loop: the
    /// listening channel is closed only once every accepted connection has been handed over
    /// (NIO traps when a set-up connection is dropped by a closed server channel).
    private let accepted = Atomic<Int>(0)
    private let handedOver = Atomic<Int>(0)
    private let began = Mutex<ContinuousClock.Instant?>(nil)
    /// Connections whose requests are being handled.
    private let handling = Atomic<Int>(0)

    /// The grace period ran out with requests still in flight.
    struct GraceOver: Error {}

    var isDraining: Bool { began.withLock { $0 != nil } }

    /// The server channel's handler that records every accepted connection until it closes.
    func recorder() -> some ChannelInboundHandler { Recorder(drain: self) }

    /// The server's loop took a connection.
    func handedOver(_ connection: any Channel) {
        handedOver.add(1, ordering: .relaxed)
        if isDraining { connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }

    /// Handles one connection, counted until it is done.
    func handle(_ body: () async -> Void) async {
        handling.add(1, ordering: .relaxed)
        await body()
        handling.subtract(1, ordering: .relaxed)
    }

    /// Returns once no connection is being handled; throws `GraceOver` (after closing what is
    /// left) if some still are `grace` after the shutdown began.
    func enforceGrace(_ grace: Duration, logger: Logger) async throws {
        let deadline = (began.withLock { $0 } ?? .now) + grace
        while handling.load(ordering: .relaxed) > 0 {
            if ContinuousClock.now >= deadline {
                let left = open.withLock { Array($0.values) }
                logger.warning("grace period over: cutting the requests still in flight",
                               metadata: ["connections": "\(left.count)", "graceMs": "\(grace.milliseconds)"])
                for connection in left { connection.close(promise: nil) }
                throw GraceOver()
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops accepting (reads on the listening socket stop at once; once the connections already
    /// accepted are handed over, this process closes its listening socket: when systemd holds it
    /// too, new connections wait in its backlog for the next instance, otherwise they are
    /// refused) and asks every connection to finish.
    func begin(closing server: any Channel, grace: Duration, logger: Logger) {
        began.withLock { $0 = .now }
        let connections = open.withLock { Array($0.values) }
        logger.notice("stopping: no longer accepting; finishing the requests in flight",
                      metadata: ["connections": "\(connections.count)", "graceMs": "\(grace.milliseconds)"])
        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let stopReading = server.setOption(ChannelOptions.autoRead, value: false)
        Task {
            try? await stopReading.get()
            let deadline = ContinuousClock.now + .seconds(1)
            while handedOver.load(ordering: .relaxed) < accepted.load(ordering: .relaxed) && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            try? await server.close()
        }
    }

    /// Every connection has closed.
    func finished(logger: Logger) {
        guard let began = began.withLock({ $0 }) else { return }
        logger.notice("every connection finished", metadata: ["ms": "\((ContinuousClock.now - began).milliseconds)"])
    }

    private func record(_ channel: any Channel) {
        accepted.add(1, ordering: .relaxed)
        let id = ObjectIdentifier(channel)
        open.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in self.open.withLock { $0[id] = nil } }
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = any Channel
        let drain: ConnectionDrain

        init(drain: ConnectionDrain) { self.drain = drain }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            drain.record(unwrapInboundIn(data))
            context.fireChannelRead(data)
        }
    }
}
