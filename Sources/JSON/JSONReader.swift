#if canImport(Glibc)
import Glibc
#endif

/// A strict JSON reader (RFC 8259) over UTF-8 bytes that materialises only what the caller asks
/// for: `readObject` hands over each key, the caller reads the values it needs and skips the
/// rest. Skipped values are still fully validated, so malformed JSON is always an error.
///
/// Event consumers read views of event data with it; it is several times faster than
/// `JSONDecoder` for the small documents on the streams, which matters at 100k events/s.
public struct JSONReader: ~Copyable {
    /// Objects and arrays nest at most this deep; deeper is an error, never a stack overflow
    /// (a stream is a public interface: anyone can write 100,000 `[` into an event's `data`).
    public static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0
    /// Where the reader is, for error messages; rendered only when something fails.
    private var path: [PathComponent] = []

    private enum PathComponent {
        case key(Range<Int>)
        case index(Int)
    }

    /// An object's key, borrowed from the document: compare it with `==` or `switch` against
    /// string literals without making a String; `string` makes one.
    public struct Key {
        fileprivate let raw: UnsafeRawBufferPointer
        fileprivate let escaped: String?

        public var string: String { escaped ?? String(decoding: raw, as: UTF8.self) }

        public static func == (key: Key, literal: StaticString) -> Bool {
            if let escaped = key.escaped { return escaped == literal.description }
            return key.raw.count == literal.utf8CodeUnitCount
                && (key.raw.count == 0 || memcmp(key.raw.baseAddress!, literal.utf8Start, key.raw.count) == 0)
        }

        public static func ~= (literal: StaticString, key: Key) -> Bool { key == literal }
    }

    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
    }

    /// Reads `text` with `body`; the document must hold exactly one value.
    public static func read(_ text: String, _ body: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        var text = text
        let failure = text.withUTF8 { buffer -> Failure? in read(UnsafeRawBufferPointer(buffer), body) }
        if let failure { throw failure }
    }

    /// Reads raw bytes with `body` (a request body as it arrived): bytes that are not UTF-8 are
    /// an error, never silently replaced.
    public static func read(bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        if let failure = read(bytes, body) { throw failure }
    }

    private static func read(_ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws(Failure) -> Void) -> Failure? {
        var reader = JSONReader(bytes)
        do throws(Failure) {
            try body(&reader)
            reader.skipWhitespace()
            guard reader.index == reader.bytes.count else { throw reader.fail("unexpected text after the JSON value") }
            return nil
        } catch {
            return error
        }
    }

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    // MARK: Reading values

    /// Calls `body` once per key of an object; `body` must read or skip the key's value.
    public mutating func readObject(_ body: (inout JSONReader, Key) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"), "an object")
        try enter()
        defer { depth -= 1 }
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
            let key = try scanKey()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a key")
            skipWhitespace()
            path.append(.key(key.range))
            try body(&self, key.key)
            path.removeLast()
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw fail("expected ',' or '}' in an object")
            }
        }
    }

    /// A key at the current quote: borrowed bytes when it has no escapes (nearly always).
    private mutating func scanKey() throws(Failure) -> (key: Key, range: Range<Int>) {
        let start = index + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if Self.isASCII(raw) {
                    index = end + 1
                    return (Key(raw: raw, escaped: nil), start..<end)
                }
                break
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            end += 1
        }
        let text = try scanString()
        return (Key(raw: UnsafeRawBufferPointer(rebasing: bytes[start..<start]), escaped: text), start..<(index - 1))
    }

    /// Calls `body` once per element of an array; `body` must read or skip the element.
    public mutating func readArray(_ body: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["), "an array")
        try enter()
        defer { depth -= 1 }
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return }
        var position = 0
        while true {
            skipWhitespace()
            path.append(.index(position))
            try body(&self)
            path.removeLast()
            position += 1
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: throw fail("expected ',' or ']' in an array")
            }
        }
    }

    public mutating func readString() throws(Failure) -> String {
        skipWhitespace()
        guard peek() != nil else { throw fail("unexpected end of JSON") }
        guard peek() == UInt8(ascii: "\"") else { throw fail("is not a string") }
        return try scanString()
    }

    /// A whole number: no fraction, no exponent, within Int's range.
    public mutating func readInt() throws(Failure) -> Int {
        skipWhitespace()
        guard let first = peek() else { throw fail("unexpected end of JSON") }
        guard first == UInt8(ascii: "-") || isDigit(first) else { throw fail("is not a whole number") }
        let start = index
        try scanNumber()
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        guard let value = Int(String(decoding: text, as: UTF8.self)) else {
            index = start
            throw fail("is not a whole number")
        }
        return value
    }

    /// Validates and passes over any value.
    public mutating func skipValue() throws(Failure) {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"): try readObject { reader, _ throws(Failure) in try reader.skipValue() }
        case UInt8(ascii: "["): try readArray { reader throws(Failure) in try reader.skipValue() }
        case UInt8(ascii: "\""): _ = try scanString(keep: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case nil: throw fail("unexpected end of JSON")
        default: try scanNumber()
        }
    }

    /// A failure at the current path, for checks the caller makes (e.g. "is missing").
    /// The path is cut to a readable length: an error never repeats a whole hostile document.
    public func fail(_ problem: String) -> Failure {
        var text = ""
        for component in path {
            if text.utf8.count > 120 { text += "…"; break }
            switch component {
            case .key(let range):
                var key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                if key.count > 40 { key = key.prefix(40) + "…" }
                text += text.isEmpty ? key : ".\(key)"
            case .index(let position): text += "[\(position)]"
            }
        }
        return Failure(path: text, problem: problem)
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nested deeper than \(Self.maxDepth) levels") }
    }

    // MARK: Scanning

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        skipWhitespace()
        guard next() == byte else {
            index -= index > 0 ? 1 : 0
            throw fail(index >= bytes.count ? "unexpected end of JSON, expected \(what)" : "expected \(what)")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count,
              memcmp(bytes.baseAddress! + index, word.utf8Start, length) == 0 else { throw fail("not valid JSON") }
        index += length
    }

    private mutating func scanNumber() throws(Failure) {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { index = start; throw fail("not valid JSON") }
        index += 1
        if first != UInt8(ascii: "0") { while let d = peek(), isDigit(d) { index += 1 } }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), isDigit(d) else { throw fail("a number needs digits after '.'") }
            while let d = peek(), isDigit(d) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), isDigit(d) else { throw fail("a number needs digits in its exponent") }
            while let d = peek(), isDigit(d) { index += 1 }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Reads a string starting at its opening quote, decoding escapes.
    private mutating func scanString(keep: Bool = true) throws(Failure) -> String {
        index += 1  // the opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if !keep && Self.isASCII(slice) { return "" }  // skipped, and valid by construction
                guard let text = Self.string(slice) else { throw fail("a string is not valid UTF-8") }
                return keep ? text : ""
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("a control character inside a string") }
            index += 1
        }
        var decoded = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = decoded.withUnsafeBytes({ Self.string($0) }) else { throw fail("a string is not valid UTF-8") }
                return keep ? text : ""
            case UInt8(ascii: "\\"):
                guard let escape = next() else { throw fail("unexpected end of JSON in a string") }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard next() == UInt8(ascii: "\\"), next() == UInt8(ascii: "u") else { throw fail("a lone surrogate in a string") }
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("a lone surrogate in a string")
                    }
                    decoded.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    throw fail("an unknown escape in a string")
                }
            case 0..<0x20:
                throw fail("a control character inside a string")
            default:
                decoded.append(byte)
            }
        }
        throw fail("unexpected end of JSON in a string")
    }

    private static func isASCII(_ slice: UnsafeRawBufferPointer) -> Bool {
        slice.allSatisfy { $0 < 0x80 }
    }

    /// UTF-8 bytes as a String, or nil when they are not valid UTF-8.
    private static func string(_ slice: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: slice, as: UTF8.self)
        // Decoding repairs invalid sequences with U+FFFD, which changes the bytes: compare.
        if isASCII(slice) { return text }
        return text.utf8.elementsEqual(slice) ? text : nil
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = next() else { throw fail("unexpected end of JSON in a \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("a bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
