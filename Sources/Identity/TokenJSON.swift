import JSON

/// A token's header or payload, or a provider's key set, read once into a tree that every check
/// and every claim then reads.
///
/// Why not jwt-kit's decoding: a gate that reads the header with one parser and a verifier that
/// reads it with another disagree exactly where an attacker wants them to (issue 18:
/// `{"alg":"none","alg":"HS256"}` is HS256 to a reader that keeps the last member and none to one
/// that keeps the first). Here the document is checked by the project's strict `JSONReader`
/// (RFC 8259, UTF-8, nesting depth), an object that names a member twice, at any depth, is
/// refused, and the algorithm gate, the choice of key and the claims all read this one tree;
/// jwt-kit only checks the signature over the token's bytes.
public enum TokenJSON: Sendable, Hashable {
    case object([String: TokenJSON])
    case array([TokenJSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    public enum Problem: Error, Sendable, Hashable {
        case malformed(String)
        /// `name` appears twice in one object, found at `path` (dotted member names; "" at the top).
        /// Names are compared as Swift compares strings: two spellings of one text (NFC and NFD)
        /// are one name here, as they are to any decoder that keys a dictionary by `String`.
        case duplicateMember(name: String, path: String)
    }

    /// The tree of one JSON document, or why there is none.
    public static func parse(_ bytes: [UInt8]) throws(Problem) -> TokenJSON {
        let failure = bytes.withUnsafeBytes { raw -> JSONReader.Failure? in
            do throws(JSONReader.Failure) {
                try JSONReader.read(bytes: raw) { reader throws(JSONReader.Failure) in try reader.skipValue() }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw .malformed(failure.description) }
        var builder = TreeBuilder(bytes: bytes)
        return try builder.value()
    }

    public var object: [String: TokenJSON]? { if case .object(let members) = self { members } else { nil } }
    public var string: String? { if case .string(let text) = self { text } else { nil } }
}

/// Builds the tree over bytes `JSONReader` has already found to be one valid JSON value, so it
/// only has to find where each value ends; strings with escapes are decoded by `JSONReader` too.
/// Every step is still bounds-checked: a mistake here is a refused token, never a crash.
private struct TreeBuilder {
    let bytes: [UInt8]
    var index = 0
    /// Member names from the top to the value being read, for a duplicate's message.
    var path: [String] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func value() throws(TokenJSON.Problem) -> TokenJSON {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal(4); return .bool(true)
        case UInt8(ascii: "f"): try literal(5); return .bool(false)
        case UInt8(ascii: "n"): try literal(4); return .null
        default: return .number(try number())
        }
    }

    private mutating func object() throws(TokenJSON.Problem) -> TokenJSON {
        index += 1
        var members: [String: TokenJSON] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            let name = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            path.append(name)
            let member = try value()
            path.removeLast()
            guard members.updateValue(member, forKey: name) == nil else {
                throw .duplicateMember(name: name, path: path.joined(separator: "."))
            }
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return .object(members)
            default: throw .malformed("an object does not end")
            }
        }
    }

    private mutating func array() throws(TokenJSON.Problem) -> TokenJSON {
        index += 1
        var elements: [TokenJSON] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            elements.append(try value())
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return .array(elements)
            default: throw .malformed("an array does not end")
            }
        }
    }

    /// A string at its opening quote: its bytes when it has no escapes (UTF-8 already checked),
    /// else decoded by `JSONReader`, so both readers agree on what every escape means.
    private mutating func string() throws(TokenJSON.Problem) -> String {
        guard peek() == UInt8(ascii: "\"") else { throw .malformed("expected a string") }
        let start = index
        index += 1
        var escaped = false
        while let byte = peek(), byte != UInt8(ascii: "\"") {
            if byte == UInt8(ascii: "\\") { escaped = true; index += 1 }
            index += 1
        }
        guard index < bytes.count else { throw .malformed("a string does not end") }
        index += 1
        let quoted = bytes[start..<index]
        guard escaped else { return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self) }
        var text = ""
        let failure = quoted.withUnsafeBytes { raw -> JSONReader.Failure? in
            do throws(JSONReader.Failure) {
                try JSONReader.read(bytes: raw) { reader throws(JSONReader.Failure) in text = try reader.readString() }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw .malformed(failure.description) }
        return text
    }

    /// A number as a `Double` (a whole number beyond 2^53 loses its last digits, and one beyond
    /// Double's range is infinite: callers check what they need, e.g. that a date is finite).
    private mutating func number() throws(TokenJSON.Problem) -> Double {
        let start = index
        while let byte = peek(), Self.isNumberByte(byte) { index += 1 }
        guard index > start, let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw .malformed("not a number")
        }
        return value
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    private mutating func literal(_ length: Int) throws(TokenJSON.Problem) {
        guard index + length <= bytes.count else { throw .malformed("a literal does not end") }
        index += length
    }

    private mutating func expect(_ byte: UInt8) throws(TokenJSON.Problem) {
        guard next() == byte else { throw .malformed("expected '\(Character(Unicode.Scalar(byte)))'") }
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }
}
