import JSON
import Foundation
import Testing

@Suite("JSONReader")
struct JSONReaderTests {
    func valid(_ text: String) -> Bool {
        (try? JSONReader.read(text) { reader throws(JSONReader.Failure) in try reader.skipValue() }) != nil
    }

    @Test func readsWhatItIsAskedFor() throws {
        let text = #" { "a": [1, {"b": "x\"y\\z\/\n\u00e9\ud83c\udf5c"}], "n": -12, "skip": {"deep": [true, false, null, 1.5e-3]} } "#
        var n = 0
        var b = ""
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "n": n = try reader.readInt()
                case "a":
                    try reader.readArray { reader throws(JSONReader.Failure) in
                        // The first element is a number; the second an object with "b".
                        do throws(JSONReader.Failure) {
                            try reader.readObject { reader, _ throws(JSONReader.Failure) in b = try reader.readString() }
                        } catch {
                            _ = try reader.readInt()
                        }
                    }
                default: try reader.skipValue()
                }
            }
        }
        #expect(n == -12)
        #expect(b == "x\"y\\z/\né🍜")
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity",
        "tru", "nul", "\"abc", "\"a\u{01}b\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u12\"", "[1 2]", "{\"a\" 1}",
        "1 2", "{} x", "[", "[[]", "{\"a\":}",
    ])
    func rejectsWhatIsNotJSON(_ text: String) {
        #expect(!valid(text))
    }

    @Test(arguments: [
        "0", "-0", "1.25", "-1e10", "2E+3", "true", "false", "null", "\"\"", "[]", "{}", "[[[]]]",
        "{\"a\":{\"b\":[1,\"2\",null]}}", " \t\n\r[1] ", "\"\\u00e9\\ud83c\\udf5c\"",
    ])
    func acceptsJSON(_ text: String) {
        #expect(valid(text))
    }

    @Test func keysWithEscapesMatchLikeAnyOther() throws {
        var seen: [String] = []
        var matched = 0
        try JSONReader.read(#"{"it\u0065ms": 1, "caf\u00e9": 2, "plain": 3, "": 4}"#) { reader throws(JSONReader.Failure) in
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                seen.append(key.string)
                if key == "items" || key == "plain" { matched += 1 }
                try reader.skipValue()
            }
        }
        #expect(seen == ["items", "café", "plain", ""])
        #expect(matched == 2)
    }

    @Test func wholeNumbersOnly() {
        for text in ["2.5", "1e3", "\"3\"", "99999999999999999999999", "true"] {
            #expect(throws: JSONReader.Failure.self) { try JSONReader.read(text) { reader throws(JSONReader.Failure) in _ = try reader.readInt() } }
        }
        var number = 0
        try? JSONReader.read("-42") { reader throws(JSONReader.Failure) in number = try reader.readInt() }
        #expect(number == -42)
    }

    @Test func failuresNameThePath() {
        do {
            try JSONReader.read(#"{"items":[{"qty":1},{"qty":"x"}]}"#) { reader throws(JSONReader.Failure) in
                try reader.readObject { reader, _ throws(JSONReader.Failure) in
                    try reader.readArray { reader throws(JSONReader.Failure) in
                        try reader.readObject { reader, _ throws(JSONReader.Failure) in _ = try reader.readInt() }
                    }
                }
            }
            Issue.record("accepted a string as a number")
        } catch {
            #expect(error.path == "items[1].qty")
        }
    }

    /// Agrees with Foundation's JSONSerialization on thousands of mutated documents.
    @Test func agreesWithJSONSerializationOnMutations() {
        let seed = Array(#"{"orderId":"o-1","items":[{"foodId":"f\u00e9","qty":2,"price":9000}],"amount":-1.5e2,"ok":true,"none":null}"#.utf8)
        let alphabet = Array(#"{}[]":,\ 0123456789.eE+-tfnulrsa"#.utf8) + [0x01, 0xC3, 0xA9]
        var state: UInt64 = 42
        func random(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        var disagreements: [String] = []
        for _ in 0..<5_000 {
            var bytes = seed
            for _ in 0..<(1 + random(3)) {
                let position = random(bytes.count)
                switch random(3) {
                case 0: bytes[position] = alphabet[random(alphabet.count)]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[random(alphabet.count)], at: position)
                }
            }
            guard let text = String(validating: bytes, as: UTF8.self) else { continue }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            if valid(text) != foundation { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}
