import Redis
import Testing

@Suite("RedisCommand")
struct RedisCommandTests {
    @Test func encodesRESP() {
        var command = RedisCommand("SET", "k")
        command.append(bytes: [0x00, 0x0D, 0x0A])
        command.append("")
        command.append(String(repeating: "x", count: 12))
        let expected = "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\u{0}\r\n\r\n$0\r\n\r\n$12\r\nxxxxxxxxxxxx\r\n"
        #expect(command.encoded == Array(expected.utf8))
        #expect(command.count == 5)
        #expect(command.arguments[2] == [0x00, 0x0D, 0x0A])
        #expect(command.name == "SET")
    }

    @Test func appendsAnotherCommandsArguments() {
        var outer = RedisCommand("EVALSHA", "abc", "0")
        var inner = RedisCommand(["a", "bb"])
        inner.append(123)
        outer.append(argumentsOf: inner)
        #expect(outer.arguments.map { String(decoding: $0, as: UTF8.self) } == ["EVALSHA", "abc", "0", "a", "bb", "123"])
        #expect(outer == RedisCommand(["EVALSHA", "abc", "0", "a", "bb", "123"]))
        #expect(RedisCommand().encoded == Array("*0\r\n".utf8))
    }
}
