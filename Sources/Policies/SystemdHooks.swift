import Backbone
import Daemon

/// A worker's life told to systemd (`sd_notify`): `READY=1` once its groups exist, `STATUS=`
/// lines, `WATCHDOG=1` from the loop that does the work, `STOPPING=1`. Nothing when systemd did
/// not start it.
public struct SystemdHooks: WorkerHooks {
    public init() {}

    public func ready(_ status: String) { SystemdNotifier.notify("READY=1\nSTATUS=\(status)") }
    public func status(_ status: String) { SystemdNotifier.notify("STATUS=\(status)") }
    public func alive() { SystemdNotifier.notify("WATCHDOG=1") }
    public func stopping() { SystemdNotifier.notify("STOPPING=1") }
}
