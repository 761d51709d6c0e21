import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The harness's own facts: a daemon counts as ready only when its listening socket is found in
/// /proc/net/tcp (`BaedalProcess.listens(on:)`), so that file must be read whole however many
/// sockets the machine has open (Foundation's reader stopped after its first page: 27 lines).
@Suite("Test harness")
struct TestHarnessTests {
    @Test func procFilesAreReadWholeWithHundredsOfSocketsOpen() throws {
        var descriptors: [Int32] = []
        defer { for descriptor in descriptors { close(descriptor) } }
        var ports: [Int] = []
        for _ in 0..<150 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(descriptor >= 0)
            descriptors.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let listening = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            try #require(listening)
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        let table = try #require(procFile("/proc/net/tcp"))
        let listed = Set(table.split(separator: "\n").dropFirst().compactMap { line -> Int? in
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":") else { return nil }
            return Int(fields[1][fields[1].index(after: colon)...], radix: 16)
        })
        let missing = ports.filter { !listed.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(ports.count) listening sockets not in what was read of /proc/net/tcp")
    }
}
