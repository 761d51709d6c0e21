#if canImport(Glibc)
import Glibc
#endif

/// The listening socket systemd hands to a socket-activated service, as `sd_listen_fds(3)`
/// defines it: `LISTEN_PID` names this process, `LISTEN_FDS` says how many descriptors were
/// passed, starting at 3. A unit such as `baedal-api.socket` keeps the socket open across
/// restarts of the service, so connections that arrive while no instance runs wait in its
/// backlog instead of being refused.
public enum SystemdSockets {
    /// What `listeningSocket()` reads (`--help`); systemd sets them, nobody else should.
    public static let settings: [EnvironmentSetting] = [
        .init("LISTEN_PID, LISTEN_FDS", default: "none",
              "set by systemd for a socket-activated service: when LISTEN_PID is this process, it serves on descriptor 3"),
    ]

    /// `SD_LISTEN_FDS_START`.
    public static let firstDescriptor: Int32 = 3

    /// The one listening stream socket passed to this process, or nil when none was (no
    /// `LISTEN_PID`, or another process's: the service binds its own). `LISTEN_PID`, `LISTEN_FDS`
    /// and `LISTEN_FDNAMES` are removed from the environment so that no child takes them for its
    /// own, and the descriptor is marked close-on-exec. Anything else than exactly one listening
    /// stream socket is a configuration error.
    public static func listeningSocket() throws(BaedalEnvironment.Invalid) -> Int32? {
        let pidText = getenv("LISTEN_PID").map { String(cString: $0) }
        let countText = getenv("LISTEN_FDS").map { String(cString: $0) }
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
        guard let pidText, let pid = Int32(pidText), pid == getpid() else { return nil }
        guard let countText, let count = Int(countText), count >= 1 else {
            throw BaedalEnvironment.Invalid(description: "LISTEN_FDS must be a positive number when LISTEN_PID is this process, got '\((countText ?? "").prefix(20))'")
        }
        guard count == 1 else {
            throw BaedalEnvironment.Invalid(description: "systemd passed \(count) sockets (LISTEN_FDS); this service takes exactly one (one ListenStream= in its .socket unit)")
        }
        let fd = firstDescriptor
        guard fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else {
            throw BaedalEnvironment.Invalid(description: "LISTEN_FDS=1 but descriptor 3 is not open")
        }
        guard option(fd, SO_TYPE) == Int32(SOCK_STREAM.rawValue) else {
            throw BaedalEnvironment.Invalid(description: "descriptor 3 from systemd is not a stream socket (ListenStream= is needed)")
        }
        guard option(fd, SO_ACCEPTCONN) == 1 else {
            throw BaedalEnvironment.Invalid(description: "descriptor 3 from systemd is not listening (the .socket unit needs Accept=no)")
        }
        return fd
    }

    private static func option(_ fd: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
    }
}
