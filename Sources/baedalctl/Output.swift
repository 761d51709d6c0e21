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

/// One line of output holding text read from Redis: printed with its control characters escaped.
func say(_ line: String) { print(Output.printable(line)) }

/// Text read from Redis, made safe for a terminal: control characters (C0, DEL, C1, which could
/// move the cursor or forge lines) are shown as `\u{…}` escapes, a backslash as `\\`.
enum Output {
    static func printable(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: out += "\\\\"
            case 0..<0x20, 0x7F...0x9F: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
