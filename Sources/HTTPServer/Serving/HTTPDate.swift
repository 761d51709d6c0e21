import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `Date` header (RFC 9110, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted once per second.
final class HTTPDate: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    var now: String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &time)
        let second = Int(time.tv_sec)
        if let text = cached.withLock({ $0.second == second ? $0.text : nil }) { return text }
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        cached.withLock { $0 = (second, text) }
        return text
    }
}
