import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// What every Baedal executable does the same way at start.
public enum ProcessSupport {
    /// swift-log to stderr at `BAEDAL_LOG_LEVEL` (default `info`), one escaped line per event.
    public static func bootstrapLogging(label: String) -> Logger {
        let level = Logger.Level(rawValue: getenv("BAEDAL_LOG_LEVEL").map { String(cString: $0) } ?? "info") ?? .info
        LoggingSystem.bootstrap { label in LogLine(label: label, level: level) }
        return Logger(label: label)
    }

    /// A setting or argument that cannot be used: one line on stderr, exit status 2.
    public static func fail(_ message: String) -> Never {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
}

/// systemd's view of an HTTP daemon: `READY=1` once Redis answers (with a `STATUS=` line),
/// `WATCHDOG=1` while the process's tasks keep running and Redis is watched, `STOPPING=1` on
/// shutdown. Nothing is sent without `$NOTIFY_SOCKET`.
public struct ReadinessNotifier: Service {
    let health: RedisHealth
    let status: String

    public init(health: RedisHealth, status: String) {
        self.health = health
        self.status = status
    }

    public func run() async throws {
        var ready = false
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let reachable = await health.check()
                if reachable && !ready {
                    ready = true
                    SystemdNotifier.notify("READY=1\nSTATUS=\(status)")
                } else if ready {
                    SystemdNotifier.notify(reachable ? "STATUS=\(status)" : "STATUS=redis unreachable; retrying")
                }
                SystemdNotifier.notify("WATCHDOG=1")
                try? await Task.sleep(for: .seconds(1))
            }
        } onGracefulShutdown: {
            SystemdNotifier.notify("STOPPING=1")
        }
    }
}
