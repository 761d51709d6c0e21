import ServiceLifecycle

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
                // Cut short by a graceful shutdown: a stopping daemon exits without waiting for it.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        } onGracefulShutdown: {
            SystemdNotifier.notify("STOPPING=1")
        }
    }
}
