/// Builds compact JSON text for event data, with RFC 8259 string escaping. Events are written
/// far more often than any other document, so this avoids `JSONEncoder` and its reflection.
public struct JSONWriter: Sendable {
    public private(set) var text = ""
    private var needsComma: [Bool] = [false]

    public init() {}

    /// `{ ... }`: the body writes the members with `field(_:_:)`.
    public static func object(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        writer.object(body)
        return writer.text
    }

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        text += "{"
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text += "}"
    }

    public mutating func array<S: Sequence>(_ elements: S, _ body: (inout JSONWriter, S.Element) -> Void) {
        separate()
        text += "["
        needsComma.append(false)
        for element in elements { body(&self, element) }
        needsComma.removeLast()
        text += "]"
    }

    /// A member's name; the value follows with one of the value writers.
    public mutating func key(_ name: String) {
        separate()
        Self.escape(name, into: &text)
        text += ":"
        needsComma[needsComma.count - 1] = false
    }

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: Int) { key(name); int(value) }
    public mutating func field(_ name: String, _ value: Int64) { key(name); int(Int(value)) }

    public mutating func string(_ value: String) {
        separate()
        Self.escape(value, into: &text)
    }

    /// A value that is already JSON text (e.g. a stored document), inserted as it is.
    public mutating func raw(_ json: String) {
        separate()
        text += json
    }

    public mutating func int(_ value: Int) {
        separate()
        text += String(value)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    public static func escape(_ value: String, into text: inout String) {
        text += "\""
        // Most values need no escaping at all: append them whole.
        if !value.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
