/// Builds compact JSON text for event data, with RFC 8259 string escaping. Events are written
/// far more often than any other document, so this avoids `JSONEncoder` and its reflection.
public struct JSONWriter: Sendable {
    /// The document's UTF-8 bytes: appending a byte or a run of bytes costs far less than
    /// appending to a `String` (a store's board writes some 90,000 pieces; issue 20's reads).
    private var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    public init() {}

    /// The document so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// `{ ... }`: the body writes the members with `field(_:_:)`.
    public static func object(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        writer.object(body)
        return writer.text
    }

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array<S: Sequence>(_ elements: S, _ body: (inout JSONWriter, S.Element) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
        for element in elements { body(&self, element) }
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A member's name; the value follows with one of the value writers.
    public mutating func key(_ name: String) {
        separate()
        Self.escape(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: Int) { key(name); int(value) }
    public mutating func field(_ name: String, _ value: Int64) { key(name); int(Int(value)) }

    public mutating func string(_ value: String) {
        separate()
        Self.escape(value, into: &bytes)
    }

    /// A value that is already JSON text (e.g. a stored document), inserted as it is.
    public mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
    }

    public mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    /// Whether `value` holds a quote, a backslash or a control character: one pass over its
    /// bytes in place (a native string's are contiguous), not through the view's iterator.
    @inline(__always)
    static func needsEscaping(_ value: String) -> Bool {
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            for byte in bytes where byte == 0x22 || byte == 0x5C || byte < 0x20 { return true }
            return false
        }
        var value = value
        return value.withUTF8(scan)
    }

    /// `value` as a JSON string (quoted, escaped) appended to `text`.
    public static func escape(_ value: String, into text: inout String) {
        var bytes: [UInt8] = []
        escape(value, into: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `value` as a JSON string appended to `bytes`: a quote, a backslash and every control
    /// character escaped (`\n`, `\r`, `\t` by name, the others as `\u00XX`), every other
    /// character as its UTF-8 bytes.
    static func escape(_ value: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Most values need no escaping at all: append them whole.
        if !needsEscaping(value) {
            bytes.append(contentsOf: value.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case ..<0x20: bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
