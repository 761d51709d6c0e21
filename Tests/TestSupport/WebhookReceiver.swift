import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on a free port that records every request it gets: for tests of
/// outgoing webhooks. The first `failFirst` requests are answered 500, and so is every request
/// while `refusing` is set (an outage of the receiver); the rest 200. `accepted` lists the
/// requests answered 200.
public final class WebhookReceiver: @unchecked Sendable {
    public struct Received: Sendable {
        public var headers: [String: String]
        public var body: String
    }

    public let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var received: [Received] = []
    private var acceptedRequests: [Received] = []
    private var failuresLeft: Int
    private var refusingNow = false

    /// While true, every request is answered 503.
    public var refusing: Bool {
        get { lock.withLock { refusingNow } }
        set { lock.withLock { refusingNow = newValue } }
    }

    public init(failFirst: Int = 0) throws {
        failuresLeft = failFirst
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 64) == 0 else { throw TestFailure("the webhook receiver could not listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    deinit { close(listener) }

    public var requests: [Received] { lock.withLock { received } }
    public var accepted: [Received] { lock.withLock { acceptedRequests } }
    public var url: String { "http://127.0.0.1:\(port)/hooks/baedal" }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            Thread { [self] in self.handle(client) }.start()
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            // Read one request: headers, then Content-Length bytes of body.
            guard let headerEnd = Self.find(buffer, Array("\r\n\r\n".utf8)) else {
                let count = read(client, &chunk, chunk.count)
                if count <= 0 { return }
                buffer += chunk[0..<count]
                continue
            }
            let head = String(decoding: buffer[0..<headerEnd], as: UTF8.self)
            var headers: [String: String] = [:]
            for line in head.split(separator: "\r\n").dropFirst() {
                if let colon = line.firstIndex(of: ":") {
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < headerEnd + 4 + length {
                let count = read(client, &chunk, chunk.count)
                if count <= 0 { return }
                buffer += chunk[0..<count]
            }
            let body = String(decoding: buffer[(headerEnd + 4)..<(headerEnd + 4 + length)], as: UTF8.self)
            buffer.removeFirst(headerEnd + 4 + length)
            let fail = lock.withLock { () -> Bool in
                let request = Received(headers: headers, body: body)
                received.append(request)
                if refusingNow { return true }
                if failuresLeft > 0 { failuresLeft -= 1; return true }
                acceptedRequests.append(request)
                return false
            }
            let response = fail ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            let bytes = Array(response.utf8)
            _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        }
    }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
