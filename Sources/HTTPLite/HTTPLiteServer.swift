import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// A very small HTTP/1.1 server for a worker's `/metrics` and health endpoints: GET only, one
/// request per connection, answered by a function. Not for traffic: for scrapers and probes.
public final class HTTPLiteServer: @unchecked Sendable {
    public typealias Handler = @Sendable (_ path: String) -> (status: Int, contentType: String, body: [UInt8])

    public let port: Int
    private let listener: Int32
    private let handler: Handler

    public init(host: String, port: Int, handler: @escaping Handler) throws(HTTPLite.Failure) {
        (listener, self.port) = try HTTPLite.listen(host: host, port: port, backlog: 16)
        self.handler = handler
    }

    /// Serves until `stop()`, on threads of its own.
    public func start() {
        DispatchQueue.global().async { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // the listener was closed
                }
                DispatchQueue.global().async { [self] in serve(client) }
            }
        }
    }

    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.firstRange(of: [13, 10, 13, 10]) == nil && request.count < 16 * 1024 {
            let count = read(client, &buffer, buffer.count)
            if count <= 0 { return }
            request += buffer[0..<count]
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let (status, contentType, body): (Int, String, [UInt8])
        if line.count >= 2, line[0] == "GET" {
            (status, contentType, body) = handler(String(line[1].split(separator: "?").first ?? ""))
        } else {
            (status, contentType, body) = (405, "text/plain", Array("GET only\n".utf8))
        }
        let reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 503 ? "Service Unavailable" : "Error"
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }
}
