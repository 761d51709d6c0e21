#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on 127.0.0.1 that the test holds, as systemd holds `baedal-api.socket`:
/// it is handed to each instance it starts (`BaedalProcess(listeningSocket:)`) and stays open
/// between them, so connections wait in its backlog while no instance runs.
public final class HeldSocket: @unchecked Sendable {
    public let descriptor: Int32
    public let port: Int

    public init(backlog: Int32 = 4096) throws {
        // Close-on-exec: only the instance it is handed to (as descriptor 3) gets it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, backlog) == 0 else {
            close(fd)
            throw TestFailure("could not bind and listen on 127.0.0.1")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
