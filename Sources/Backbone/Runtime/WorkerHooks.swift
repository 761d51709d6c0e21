/// What a worker tells its supervisor (systemd through `sd_notify` in production, nothing in
/// tests): ready, what it is doing, still alive, stopping. The runtime knows no supervisor.
public protocol WorkerHooks: Sendable {
    /// Groups exist and the first read is about to happen.
    func ready(_ status: String)
    /// What it does now (degraded while the store is unreachable, and back).
    func status(_ status: String)
    /// The loop went round (a watchdog's keep-alive).
    func alive()
    func stopping()
}

/// No supervisor.
public struct NoHooks: WorkerHooks {
    public init() {}
    public func ready(_ status: String) {}
    public func status(_ status: String) {}
    public func alive() {}
    public func stopping() {}
}
