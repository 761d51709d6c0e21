/// One Redis command as an argument vector. Arguments are bytes: NUL, CR/LF and `%` travel as
/// they are. All arguments live back to back in one buffer, so a command of 500 arguments is a
/// handful of allocations, not 500; `encoded` turns it into the RESP bytes that go on the wire.
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    private var bytes: [UInt8] = []
    /// `ends[i]` is where argument `i` stops in `bytes`.
    private var ends: [Int] = []

    public init() {}

    public init(_ arguments: [String]) {
        for argument in arguments { append(argument) }
    }

    public init(_ name: String, _ arguments: String...) {
        self.init([name] + arguments)
    }

    public init(bytes arguments: [[UInt8]]) {
        for argument in arguments { append(bytes: argument) }
    }

    public var count: Int { ends.count }

    public subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
    }

    /// Every argument as its own array (for inspection; the command itself does not keep them so).
    public var arguments: [[UInt8]] { (0..<count).map { Array(self[$0]) } }

    public mutating func append(_ argument: String) {
        var argument = argument
        argument.withUTF8 { bytes.append(contentsOf: $0) }
        ends.append(bytes.count)
    }

    public mutating func append(_ argument: Int) { append(String(argument)) }

    public mutating func append(bytes argument: some Collection<UInt8>) {
        bytes.append(contentsOf: argument)
        ends.append(bytes.count)
    }

    public mutating func append(contentsOf more: [String]) { for argument in more { append(argument) } }

    /// Appends every argument of `other`, in order.
    public mutating func append(argumentsOf other: RedisCommand) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        ends.append(contentsOf: other.ends.map { $0 + base })
    }

    public mutating func reserveCapacity(arguments: Int, bytes size: Int) {
        ends.reserveCapacity(arguments)
        bytes.reserveCapacity(size)
    }

    public var name: String { count == 0 ? "" : String(decoding: self[0], as: UTF8.self) }

    public var description: String {
        (0..<count).map { String(decoding: self[$0], as: UTF8.self) }.joined(separator: " ")
    }

    /// The command in RESP: `*<count>\r\n` then `$<length>\r\n<bytes>\r\n` per argument.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16 * (count + 1))
        out.append(UInt8(ascii: "*"))
        Self.appendDecimal(count, to: &out)
        out.append(contentsOf: [0x0D, 0x0A])
        var start = 0
        bytes.withUnsafeBufferPointer { all in
            for end in ends {
                out.append(UInt8(ascii: "$"))
                Self.appendDecimal(end - start, to: &out)
                out.append(contentsOf: [0x0D, 0x0A])
                out.append(contentsOf: UnsafeBufferPointer(rebasing: all[start..<end]))
                out.append(contentsOf: [0x0D, 0x0A])
                start = end
            }
        }
        return out
    }

    /// The arguments back to back and where each ends, lent to `body`: for clients that write
    /// the RESP bytes straight into buffers of their own.
    package func withUnsafeArguments<T>(_ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ ends: [Int]) throws -> T) rethrows -> T {
        try bytes.withUnsafeBufferPointer { try body($0, ends) }
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var remaining = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while remaining > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            }
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
