import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import RedisNIO
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Hummingbird's HTTP/1.1 channel on a listening socket that it binds or that systemd handed over
/// (Hummingbird 2.28's `Server` can only bind its own), drained on graceful shutdown:
/// 1. it stops accepting at once, and closes its listening socket once the connections already
///    accepted are handed over (with a socket from systemd, new connections wait in the
///    backlog for the next instance; otherwise they are refused);
/// 2. every connection is asked to finish: a request in progress is answered with
///    `Connection: close`, an idle kept-alive connection is closed, a connection whose request
///    has not been read yet gets `FirstRequestGrace`'s wait for it;
/// 3. requests still in flight `grace` after the shutdown began are cut: their connections
///    closed, their tasks cancelled. `run()` returns when none is left.
struct ListeningServer: Service {
    let channel: HTTP1Channel
    let socket: ListeningSocket
    let grace: Duration
    let logger: Logger
    let onListening: @Sendable (SocketAddress?) -> Void

    /// The listen backlog: systemd's default for `.socket` units (the kernel caps it at
    /// `net.core.somaxconn`). Connections beyond it are not refused either: their SYN is retried.
    static let backlog: Int32 = 4096

    func run() async throws {
        let drain = ConnectionDrain()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: Self.backlog)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .serverChannelInitializer { server in
                server.eventLoop.makeCompletedFuture { try server.pipeline.syncOperations.addHandler(drain.recorder()) }
            }
        let channel = self.channel
        let logger = self.logger
        let setup: @Sendable (any Channel) -> EventLoopFuture<HTTP1Channel.Value> = { connection in
            channel.setup(channel: connection, logger: logger)
        }
        let server: NIOAsyncChannel<HTTP1Channel.Value, Never>
        switch socket {
        case .bind(let host, let port):
            server = try await bootstrap.bind(host: host, port: port, childChannelInitializer: setup)
        case .inherited(let descriptor):
            server = try await bootstrap.bind(descriptor, childChannelInitializer: setup)
            // NIO adopts it with listen(128); give it back the backlog systemd gave it.
            _ = listen(descriptor, Self.backlog)
        }
        onListening(server.channel.localAddress)
        let serverChannel = server.channel
        await withGracefulShutdownHandler {
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    do {
                        try await server.executeThenClose { inbound in
                            for try await connection in inbound {
                                // The connection's task runs on its own event loop: the request is read, handled
                                // and answered on one thread, and NIORedisClient's connection for that loop
                                // resumes it there too (no hop to the cooperative pool and back per command).
                                group.addTask(executorPreference: EventLoopExecutor(connection.channel.eventLoop)) {
                                    await drain.handle { await channel.handle(value: connection, logger: logger) }
                                }
                                drain.handedOver(connection.channel)
                            }
                        }
                    } catch {
                        logger.error("accepting connections failed", metadata: ["error": "\(error)"])
                    }
                    // No more connections: the requests in flight get the grace period, then are
                    // cancelled with the group.
                    group.addTask { [grace] in try await drain.enforceGrace(grace, logger: logger) }
                }
            } catch {
                // ConnectionDrain.GraceOver: logged; the process exits as usual.
            }
        } onGracefulShutdown: { [grace] in
            drain.begin(closing: serverChannel, grace: grace, logger: logger)
        }
        drain.finished(logger: logger)
    }
}
