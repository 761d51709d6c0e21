import Foundation
import JSON
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    /// Every character a stream or a user can put in a value, and what RFC 8259 says it must become.
    static let hostile = "q\"b\\n\nr\rt\tnul\u{0}us\u{1F}del\u{7F}한글🍜/\u{2028}"
    static let escaped = #""q\"b\\n\nr\rt\tnul\u0000us\u001fdel\#u{7F}한글🍜/\#u{2028}""#

    @Test func escapesExactlyWhatJSONRequires() {
        #expect(JSONWriter.object { $0.field("v", Self.hostile) } == "{\"v\":\(Self.escaped)}")
        var text = "prefix:"
        JSONWriter.escape(Self.hostile, into: &text)
        #expect(text == "prefix:" + Self.escaped)
        #expect(JSONWriter.object { $0.field("plain", "s-gangnam-chicken") } == #"{"plain":"s-gangnam-chicken"}"#)
        #expect(JSONWriter.object { $0.field("", "") } == #"{"":""}"#)
        // Each character alone, so that no other one sends the value down the escaping path.
        let alone: [(String, String)] = [("a\"b", #""a\"b""#), ("a\\b", #""a\\b""#), ("a\nb", #""a\nb""#),
                                         ("a\u{1}b", #""a\u0001b""#), ("a\u{1F}b", #""a\u001fb""#), ("\t", #""\t""#)]
        for (value, json) in alone {
            var writer = JSONWriter()
            writer.string(value)
            #expect(writer.text == json, "\(value.unicodeScalars.map(\.value))")
        }
    }

    @Test func readsBackWhatItWrote() throws {
        let json = JSONWriter.object { json in
            json.field(Self.hostile, Self.hostile)
            json.field("min", Int.min)
            json.field("max", Int64.max)
        }
        // Foundation's parser agrees on every value (an independent reading of the same text).
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(parsed[Self.hostile] as? String == Self.hostile)
        #expect((parsed["min"] as? NSNumber)?.int64Value == Int64.min)
        #expect((parsed["max"] as? NSNumber)?.int64Value == Int64.max)
        var read = ""
        try JSONReader.read(json) { reader throws(JSONReader.Failure) in
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                if key.string == Self.hostile { read = try reader.readString() } else { try reader.skipValue() }
            }
        }
        #expect(read == Self.hostile)
    }

    @Test func separatesMembersAndElementsAtEveryDepth() {
        var json = JSONWriter()
        json.array([1, 2]) { json, n in
            json.object { json in
                json.field("n", n)
                json.key("lines")
                json.array(["a", "b"]) { json, s in json.string(s) }
                json.key("raw")
                json.raw(#"{"x":[1,2]}"#)
                json.field("neg", -7)
            }
        }
        #expect(json.text == #"[{"n":1,"lines":["a","b"],"raw":{"x":[1,2]},"neg":-7},{"n":2,"lines":["a","b"],"raw":{"x":[1,2]},"neg":-7}]"#)
        var empty = JSONWriter()
        empty.array([Int]()) { _, _ in }
        #expect(empty.text == "[]")
    }
}
