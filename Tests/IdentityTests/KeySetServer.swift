import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A provider's key set endpoint on loopback, as small as `TestSupport.WebhookReceiver`: it serves
/// the set the test publishes with the `Cache-Control` it is given, counts every fetch, can be
/// down (503), and can hold its answers until the test releases them (to see how many requests
/// wait on one fetch). The test stops it when it needs the port closed.
final class KeySetServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let condition = NSCondition()
    private var document: String
    private var cacheControlValue: String?
    private var isDown = false
    private var holding = false
    private var requests = 0

    init(_ keys: [[String: String]], cacheControl: String? = "public, max-age=300") throws {
        document = JSONText.keySet(keys)
        cacheControlValue = cacheControl
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
        guard bound, listen(listener, 1024) == 0 else { throw ServerFailure() }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in self.serve() }.start()
    }

    struct ServerFailure: Error {}

    /// Stops listening: the provider is gone (connections refused). Its threads hold it until then.
    func stop() {
        // Wakes the accepting thread, which closes the socket: closing it here could hand its
        // number to another server's socket while that thread still accepts on it.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    var url: String { "http://127.0.0.1:\(port)/jwks" }

    /// Requests for the key set so far (answered or not).
    var fetches: Int { condition.withLock { requests } }

    func publish(_ keys: [[String: String]]) { publish(raw: JSONText.keySet(keys)) }
    func publish(raw text: String) { condition.withLock { document = text } }

    /// While true every request is answered 503: the provider is down.
    var down: Bool {
        get { condition.withLock { isDown } }
        set { condition.withLock { isDown = newValue } }
    }

    /// Answers wait until `release()`.
    func hold() { condition.withLock { holding = true } }

    func release() {
        condition.withLock {
            holding = false
            condition.broadcast()
        }
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            Thread { [self] in self.handle(client) }.start()
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        var request = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
            let count = read(client, &chunk, chunk.count)
            if count <= 0 { return }
            request += chunk[0..<count]
        }
        let (status, body, cacheControl) = condition.withLock { () -> (Int, String, String?) in
            requests += 1
            while holding { condition.wait() }
            return isDown ? (503, "down", nil) : (200, document, cacheControlValue)
        }
        var head = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Service Unavailable")\r\nContent-Type: application/json\r\n"
        if let cacheControl { head += "Cache-Control: \(cacheControl)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array((head + body).utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
    }
}
