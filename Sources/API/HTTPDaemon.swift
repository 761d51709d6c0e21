import Backbone
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// How `baedal-api` and `baedal-payment` run: the HTTP server, the Redis health watcher and the
/// systemd notifier in one service group, stopped by SIGTERM or SIGINT; `cleanup` runs after,
/// and a failure is logged and exits 1.
public enum HTTPDaemon {
    public static func serve(router: Router<BaedalContext>, host: String, port: Int, name: String, health: RedisHealth,
                             logger: Logger, listening: Logger.Metadata = [:], cleanup: () async -> Void) async -> Never {
        let app = Application(
            router: router,
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
