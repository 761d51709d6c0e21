import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client for the workers' few outgoing calls (the gateway's cancel, webhooks):
/// plain `http://`, one connection per request, blocking I/O on a thread of its own, a deadline
/// for the whole exchange. It keeps the worker free of Foundation and NIO (a lean process).
public enum HTTPLite {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case invalidURL(String)
        /// No connection could be made: the server never saw the request.
        case unreachable(String)
        case timedOut
        case malformedResponse(String)

        public var description: String {
            switch self {
            case .invalidURL(let url): "not an http:// URL this client can call: \(url)"
            case .unreachable(let reason): "cannot connect: \(reason)"
            case .timedOut: "no complete answer in time"
            case .malformedResponse(let reason): "an answer that is not HTTP/1.1: \(reason)"
            }
        }
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986), for path segments and
    /// query values.
    public static func percentEncode(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                escaped += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return escaped
    }

    /// `http://host[:port][/path]` split up; nil for anything else (https included).
    public static func split(_ url: String) -> (host: String, port: Int, path: String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.first == "?" { path = "/" + path }
        var host = String(authority), port = 80
        if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            host = String(authority[..<colon])
            port = number
        }
        guard !host.isEmpty else { return nil }
        return (host, port, path)
    }

    /// A listening TCP socket (IPv4, `SO_REUSEADDR`, close-on-exec) on `host`:`port` (0: any free
    /// port); its descriptor and the port it got.
    public static func listen(host: String, port: Int, backlog: Int32) throws(Failure) -> (descriptor: Int32, port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw .invalidURL("\(host) is not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound, Glibc.listen(fd, backlog) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw .unreachable("cannot listen on \(host):\(port): \(reason)")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    public static func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                            timeout: Duration) async throws(Failure) -> Response {
        guard let (host, port, path) = split(url) else { throw .invalidURL(url) }
        let result: Result<Response, Failure> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { () throws(Failure) -> Response in
                    try exchange(method: method, host: host, port: port, path: path, headers: headers, body: body,
                                 deadline: ContinuousClock.now + timeout)
                })
            }
        }
        return try result.get()
    }

    private static func exchange(method: String, host: String, port: Int, path: String, headers: [(String, String)],
                                 body: [UInt8], deadline: ContinuousClock.Instant) throws(Failure) -> Response {
        let fd = try connect(host: host, port: port, deadline: deadline)
        defer { close(fd) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers where !name.contains("\r") && !name.contains("\n") && !value.contains("\r") && !value.contains("\n") {
            request += "\(name): \(value)\r\n"
        }
        request += "\r\n"
        try write(fd, Array(request.utf8) + body, deadline: deadline)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            try wait(fd, for: Int16(POLLIN), until: deadline)
            let count = read(fd, &buffer, buffer.count)
            if count < 0 { throw .malformedResponse("read failed: errno \(errno)") }
            if count == 0 { break }
            received += buffer[0..<count]
            if let response = try parse(received, complete: false) { return response }
            if received.count > 8 << 20 { throw .malformedResponse("over 8 MiB") }
        }
        guard let response = try parse(received, complete: true) else { throw .malformedResponse("the connection closed mid-answer") }
        return response
    }

    private static func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw .unreachable("cannot resolve \(host)") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            if errno == EINPROGRESS {
                do {
                    try wait(fd, for: Int16(POLLOUT), until: deadline)
                } catch {
                    close(fd)
                    throw error
                }
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                if code == 0 { return fd }
                lastError = String(cString: strerror(code))
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(fd)
        }
        throw .unreachable("\(host):\(port): \(lastError)")
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline)
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw .unreachable("write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) throws(Failure) {
        while true {
            let left = deadline - ContinuousClock.now
            if left <= .zero { throw .timedOut }
            var poller = pollfd(fd: fd, events: events, revents: 0)
            let milliseconds = Int32(max(1, min(left / .milliseconds(1), 60_000)))
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .unreachable("poll failed: errno \(errno)") }
        }
    }

    /// A whole response from the bytes so far, or nil if more are needed.
    static func parse(_ bytes: [UInt8], complete: Bool) throws(Failure) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.firstRange(of: separator) else {
            if complete { throw .malformedResponse("no header end") }
            return nil
        }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw .malformedResponse(String(lines.first ?? ""))
        }
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingPrefix(" ")
            if name == "content-length" {
                // A peer's number: a negative or absurd length is a malformed answer, not a slice to trap on.
                guard let number = Int(value), number >= 0 else { throw .malformedResponse("a bad Content-Length '\(value.prefix(40))'") }
                length = number
            }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        let bodyBytes = Array(bytes[end.upperBound...])
        if chunked { return try dechunk(bodyBytes, complete: complete).map { Response(status: status, body: $0) } }
        if let length {
            guard bodyBytes.count >= length else {
                if complete { throw .malformedResponse("the body is shorter than its Content-Length") }
                return nil
            }
            return Response(status: status, body: Array(bodyBytes[..<length]))
        }
        return complete || status == 204 || status == 304 ? Response(status: status, body: bodyBytes) : nil
    }

    static func dechunk(_ bytes: [UInt8], complete: Bool) throws(Failure) -> [UInt8]? {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: [13, 10]) else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingPrefix(" "), radix: 16), size >= 0 else { throw .malformedResponse("a bad chunk size") }
            if size == 0 { return body }
            let start = lineEnd.upperBound
            // `size` is the peer's: compared by subtraction, so an absurd one cannot overflow.
            guard bytes.count - start >= 2, size <= bytes.count - start - 2 else { break }
            body += bytes[start..<(start + size)]
            index = start + size + 2
        }
        if complete { throw .malformedResponse("the chunked body ended early") }
        return nil
    }
}
