import Daemon
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// How `baedal-api` and `baedal-payment` run: the HTTP server (`ListeningServer`, on the socket
/// systemd passed or one it binds), the Redis health watcher and the systemd notifier in one
/// service group, stopped by SIGTERM or SIGINT; `cleanup` runs after, and a failure is logged
/// and exits 1.
///
/// SIGTERM: the server stops accepting at once, finishes the requests in flight (at most
/// `BAEDAL_HTTP_SHUTDOWN_GRACE_MS`), then the process exits 0. With a socket from systemd
/// (`baedal-api.socket`), connections that arrive meanwhile wait in the socket's backlog for the
/// next instance: a restart refuses nothing.
public enum HTTPDaemon {
    /// What every HTTP service reads besides its own settings and the backbone's (`--help`).
    public static let settings: [EnvironmentSetting] = HTTPLimits.settings + [.accessLog] + ProcessSupport.loggingSettings
        + SystemdSockets.settings + SystemdNotifier.settings

    /// A connection accepted just before shutdown may take this long to deliver its request.
    static let firstRequestWait = TimeAmount.seconds(1)

    /// HTTP/1.1 with the limits every Baedal server keeps (`HTTPLimits`): slow heads and bodies
    /// cut off, idle connections closed, parser errors answered with the contract's JSON body.
    public static func httpConfiguration(_ limits: HTTPLimits) -> HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ParserErrorResponder(),
                RequestTimeouts(head: .milliseconds(Int64(limits.headerTimeoutMilliseconds)),
                                whole: .milliseconds(Int64(limits.requestTimeoutMilliseconds))),
                FirstRequestGrace(wait: firstRequestWait),
            ],
            idleTimeout: .milliseconds(Int64(limits.idleTimeoutMilliseconds)))
    }

    public static func serve(router: Router<BaedalContext>, host: String, port: Int, limits: HTTPLimits, name: String, health: RedisHealth,
                             logger: Logger, listening: Logger.Metadata = [:], services: [any Service] = [],
                             cleanup: () async -> Void) async -> Never {
        let socket: ListeningSocket
        do {
            socket = try SystemdSockets.listeningSocket().map { .inherited(descriptor: $0) } ?? .bind(host: host, port: port)
        } catch {
            ProcessSupport.fail("\(name): \(error.description)")
        }
        let server = ListeningServer(
            channel: HTTP1Channel(responder: RouterResponder.make(router, serverName: name, logger: logger),
                                  configuration: httpConfiguration(limits)),
            socket: socket, grace: .milliseconds(limits.shutdownGraceMilliseconds), logger: logger
        ) { address in
            let shown = address.map { "http://\($0.ipAddress ?? host):\($0.port ?? port)" } ?? "http://\(host):\(port)"
            logger.notice("listening", metadata: listening.merging(["address": "\(shown)", "socket": "\(socket)"]) { $1 })
        }
        // The server comes last: a graceful shutdown reaches it first, so it stops accepting at once.
        let group = ServiceGroup(configuration: .init(
            services: [health, ReadinessNotifier(health: health, status: "serving; socket \(socket)")] + services + [server],
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
        logger.notice("stopped")
        exit(0)
    }
}
