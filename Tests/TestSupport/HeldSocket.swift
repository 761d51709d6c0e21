import HTTPLite

#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on 127.0.0.1 that the test holds, as systemd holds `baedal-api.socket`:
/// it is handed to each instance it starts (`BaedalProcess(listeningSocket:)`) and stays open
/// between them, so connections wait in its backlog while no instance runs.
public final class HeldSocket: @unchecked Sendable {
    public let descriptor: Int32
    public let port: Int

    /// Close-on-exec: only the instance it is handed to (as descriptor 3) gets it.
    public init(backlog: Int32 = 4096) throws {
        (descriptor, port) = try HTTPLite.listen(host: "127.0.0.1", port: 0, backlog: backlog)
    }

    deinit {
        close(descriptor)
    }
}
