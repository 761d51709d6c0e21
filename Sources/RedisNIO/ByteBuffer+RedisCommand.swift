import NIOCore
import Redis

extension ByteBuffer {
    /// Appends the command in RESP (`*<count>\r\n` then `$<length>\r\n<bytes>\r\n` per argument),
    /// straight from the command's own storage.
    mutating func writeRedisCommand(_ command: RedisCommand) {
        command.withUnsafeArguments { bytes, ends in
            writeInteger(UInt8(ascii: "*"))
            writeDecimal(ends.count)
            writeStaticString("\r\n")
            var start = 0
            for end in ends {
                writeInteger(UInt8(ascii: "$"))
                writeDecimal(end - start)
                writeStaticString("\r\n")
                writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<end]))
                writeStaticString("\r\n")
                start = end
            }
        }
    }

    private mutating func writeDecimal(_ value: Int) {
        if value < 10 {
            writeInteger(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for any Int
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            var remaining = value
            while remaining > 0 {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }
}
