import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive HTTP/1.1 connection to the API on loopback, blocking, for one sender thread of
/// the open-loop generator. Enough HTTP for the API's answers (a Content-Length body).
final class BenchHTTPConnection {
    private let port: Int
    private var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var received: [UInt8] = []

    init(port: Int) { self.port = port }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends the request's bytes and reads one answer: its status and body. Reconnects once when
    /// the kept-alive connection turns out closed.
    func exchange(_ request: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        for attempt in 0..<2 {
            if fd < 0 { try connect() }
            do {
                try write(request)
                return try readAnswer()
            } catch where attempt == 0 {
                close(fd)
                fd = -1
            }
        }
        throw BenchFailure("no answer from 127.0.0.1:\(port)")
    }

    private func connect() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            fd = -1
            throw BenchFailure("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        received = []
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw BenchFailure("write failed: errno \(errno)")
            }
            offset += sent
        }
    }

    private func readAnswer() throws -> (status: Int, body: [UInt8]) {
        while true {
            if let end = received.firstRange(of: [13, 10, 13, 10]) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
                      let status = Int(statusLine.dropFirst(9).prefix(3)) else { throw BenchFailure("not HTTP: \(head.prefix(80))") }
                var length = 0
                for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                let bodyStart = end.upperBound
                if received.count >= bodyStart + length {
                    let body = Array(received[bodyStart..<(bodyStart + length)])
                    received.removeFirst(bodyStart + length)
                    return (status, body)
                }
            }
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { throw BenchFailure("the connection closed") }
            received += buffer[0..<count]
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
