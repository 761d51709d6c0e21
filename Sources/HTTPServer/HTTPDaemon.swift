import Daemon
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// How `baedal-api` and `baedal-payment` run: the HTTP server, the Redis health watcher and the
/// systemd notifier in one service group, stopped by SIGTERM or SIGINT; `cleanup` runs after,
/// and a failure is logged and exits 1.
public enum HTTPDaemon {
    /// HTTP/1.1 with the limits every Baedal server keeps (`HTTPLimits`): slow heads and bodies
    /// cut off, idle connections closed, parser errors answered with the contract's JSON body.
    public static func httpConfiguration(_ limits: HTTPLimits) -> HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ParserErrorResponder(),
                RequestTimeouts(head: .milliseconds(Int64(limits.headerTimeoutMilliseconds)),
                                whole: .milliseconds(Int64(limits.requestTimeoutMilliseconds))),
            ],
            idleTimeout: .milliseconds(Int64(limits.idleTimeoutMilliseconds)))
    }

    public static func serve(router: Router<BaedalContext>, host: String, port: Int, limits: HTTPLimits, name: String, health: RedisHealth,
                             logger: Logger, listening: Logger.Metadata = [:], cleanup: () async -> Void) async -> Never {
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                EventLoopChildChannel(HTTP1Channel(responder: responder, configuration: httpConfiguration(limits)))
            },
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { _ in
                logger.notice("listening", metadata: listening.merging(["address": "http://\(host):\(port)"]) { $1 })
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(
            services: [app, health, ReadinessNotifier(health: health, status: "serving on \(host):\(port)")],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            logger.critical("stopped", metadata: ["error": "\(error)"])
            await cleanup()
            exit(1)
        }
        await cleanup()
        exit(0)
    }
}
