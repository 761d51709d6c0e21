import Foundation
import Testing
import TestSupport

/// The units are `Type=notify`: systemd waits for READY=1 and kills a worker that never sends it.
@Suite("baedal-worker and systemd's notify socket", .serialized)
struct SystemdNotifyTests {
    /// A datagram socket bound where `NOTIFY_SOCKET` points, as systemd's is.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard fd >= 0, bound == 0 else { throw TestFailure("cannot bind \(path)") }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// Every message received until `done` holds of them (or `seconds` pass), in order,
        /// repeats included.
        func messageList(for seconds: Double, until done: ([String]) -> Bool) -> [String] {
            var seen: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline && !done(seen) {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    seen += String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").map(String.init)
                }
            }
            return seen
        }

        /// Every message received until `done` holds of them (or `seconds` pass).
        func messages(for seconds: Double, until done: (Set<String>) -> Bool) -> Set<String> {
            var seen: Set<String> = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline && !done(seen) {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    for line in String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n") { seen.insert(String(line)) }
                }
            }
            return seen
        }
    }

    @Test func readyOnceTheGroupsExistStoppingOnSigterm() async throws {
        let server = try RedisServer()
        let notify = try NotifySocket()
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: [
            "BAEDAL_REDIS_URL": server.url, "BAEDAL_CONSUMER": "n1", "NOTIFY_SOCKET": notify.path,
        ])
        let ready = notify.messages(for: 20) { $0.contains("READY=1") }
        #expect(ready.contains("READY=1"), "\(worker.log)")
        let groups = try server.connect().send(.init("XINFO", "GROUPS", "baedal:events:order")).array?.count ?? 0
        #expect(groups == 1, "READY comes after the groups exist")
        worker.signal(SIGTERM)
        let stopping = notify.messages(for: 10) { $0.contains("STOPPING=1") }
        #expect(stopping.contains("STOPPING=1"))
        #expect(await worker.waitForExit() == 0)
    }

    /// READY only once Redis answers (not before), WATCHDOG repeating from the working loop,
    /// STOPPING on SIGTERM: for a worker and for the API.
    @Test(arguments: ["baedal-worker", "baedal-api"])
    func readyOnlyAfterRedisThenWatchdogThenStopping(_ executable: String) async throws {
        let server = try RedisServer(start: false)
        let notify = try NotifySocket()
        let process = try BaedalProcess(executable, executable == "baedal-worker" ? ["store-inbox"] : [], environment: [
            "BAEDAL_REDIS_URL": server.url, "BAEDAL_CONSUMER": "n2", "NOTIFY_SOCKET": notify.path,
            "BAEDAL_JWT_SECRET": String(repeating: "s", count: 32), "BAEDAL_API_PORT": String(try freePort()),
        ])
        // Redis is down: the process has looked for it and found it unreachable (the worker says
        // so in a STATUS, the API's notifier sends a WATCHDOG after each failed look), and not
        // said READY before.
        let early = notify.messageList(for: 20) { seen in
            seen.contains("READY=1") || seen.contains { $0.hasPrefix("STATUS=") && $0.contains("unreachable") || $0 == "WATCHDOG=1" }
        }
        #expect(early.contains { $0.hasPrefix("STATUS=") && $0.contains("unreachable") || $0 == "WATCHDOG=1" },
                "the process has found Redis unreachable: \(early)\n\(process.log)")
        #expect(!early.contains("READY=1"), "READY before Redis answered: \(early)")
        try server.start()
        let ready = notify.messages(for: 20) { $0.contains("READY=1") }
        #expect(ready.contains("READY=1"), "\(process.log)")
        #expect(ready.contains { $0.hasPrefix("STATUS=") }, "\(ready)")
        let later = notify.messageList(for: 10) { seen in seen.filter { $0 == "WATCHDOG=1" }.count >= 2 }
        #expect(later.filter { $0 == "WATCHDOG=1" }.count >= 2, "WATCHDOG repeats: \(later)")
        process.signal(SIGTERM)
        let stopping = notify.messages(for: 10) { $0.contains("STOPPING=1") }
        #expect(stopping.contains("STOPPING=1"))
        #expect(await process.waitForExit() == 0, "\(process.log)")
    }
}
