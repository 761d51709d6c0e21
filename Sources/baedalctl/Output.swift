#if canImport(Glibc)
import Glibc
#endif

/// Progress lines go to stderr, results to stdout.
enum FileHandleStandardError {
    static func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
