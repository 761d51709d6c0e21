/// One Redis command as an argument vector. Arguments are bytes: NUL, CR/LF and `%` travel as they are.
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    public private(set) var arguments: [[UInt8]]

    public init(_ arguments: [String]) {
        self.arguments = arguments.map { Array($0.utf8) }
    }

    public init(_ name: String, _ arguments: String...) {
        self.init([name] + arguments)
    }

    public init(bytes arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    public mutating func append(_ argument: String) { arguments.append(Array(argument.utf8)) }
    public mutating func append(_ argument: Int) { arguments.append(Array(String(argument).utf8)) }
    public mutating func append(bytes argument: [UInt8]) { arguments.append(argument) }
    public mutating func append(contentsOf more: [String]) { for argument in more { append(argument) } }

    public var name: String { arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? "" }

    public var description: String {
        arguments.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// Calls `body` with hiredis's argv/argvlen arrays, valid only for the call.
    func withArgv<R>(_ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        var flat: [UInt8] = []
        flat.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(flat.count)
            lengths.append(argument.count)
            flat.append(contentsOf: argument)
        }
        flat.append(0)  // never an empty buffer, so baseAddress is never nil
        return flat.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    body(Int32(arguments.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
                }
            }
        }
    }
}
