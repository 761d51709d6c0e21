import Synchronization

/// A W3C trace context (`traceparent`, and `tracestate` when there is one): the trace, the span
/// that wrote something, and whether the trace is sampled. It travels in HTTP headers and as
/// stream entry fields; both are read from outside, so parsing is strict and never traps: a value
/// that is not a valid `traceparent` is no context at all (the reader starts a new trace).
public struct TraceContext: Sendable, Hashable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var sampled: Bool
    /// `tracestate`, kept only when it is printable ASCII of at most 512 characters.
    public var state: String?
    /// Read from a carrier (a header, an entry): the span it names is another process's.
    public var isRemote: Bool

    public init(traceID: TraceID, spanID: SpanID, sampled: Bool, state: String? = nil, isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
        self.state = state
        self.isRemote = isRemote
    }

    /// `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. A later version is read by its first
    /// four parts, as the specification asks; version `ff`, upper-case hex, all-zero ids and any
    /// other shape are not a context.
    public init?(traceparent: some Collection<UInt8>, tracestate: (some Collection<UInt8>)? = nil as [UInt8]?) {
        let bytes = Array(traceparent.prefix(256))
        guard bytes.count >= 55, traceparent.count < 256 else { return nil }
        guard let version = Self.hex(bytes[0..<2]), version != 0xFF, bytes[2] == UInt8(ascii: "-"),
              bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-") else { return nil }
        if version == 0 { guard bytes.count == 55 else { return nil } } else if bytes.count > 55, bytes[55] != UInt8(ascii: "-") { return nil }
        guard let high = Self.hex(bytes[3..<19]), let low = Self.hex(bytes[19..<35]), let span = Self.hex(bytes[36..<52]),
              let flags = Self.hex(bytes[53..<55]) else { return nil }
        guard high != 0 || low != 0, span != 0 else { return nil }
        self.init(traceID: TraceID(high: high, low: low), spanID: SpanID(span), sampled: flags & 1 == 1,
                  state: tracestate.flatMap(Self.state), isRemote: true)
    }

    public init?(traceparent: String, tracestate: String? = nil) {
        self.init(traceparent: Array(traceparent.utf8), tracestate: tracestate.map { Array($0.utf8) })
    }

    /// The `traceparent` value (version 00), written in one buffer (it is on every entry appended).
    public var traceparent: String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            buffer[0] = UInt8(ascii: "0"); buffer[1] = UInt8(ascii: "0"); buffer[2] = UInt8(ascii: "-")
            SpanID.writeHex(traceID.high, into: buffer, at: 3)
            SpanID.writeHex(traceID.low, into: buffer, at: 19)
            buffer[35] = UInt8(ascii: "-")
            SpanID.writeHex(spanID.value, into: buffer, at: 36)
            buffer[52] = UInt8(ascii: "-"); buffer[53] = UInt8(ascii: "0"); buffer[54] = sampled ? UInt8(ascii: "1") : UInt8(ascii: "0")
            return 55
        }
    }

    /// `tracestate` as it may be passed on: at most 512 characters, printable ASCII, not empty.
    static func state(_ value: some Collection<UInt8>) -> String? {
        guard !value.isEmpty, value.count <= 512, value.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    /// Lower-case hex digits only (the specification's), at most 16 of them.
    static func hex(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}

/// A trace's 16-byte id.
public struct TraceID: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) { (self.high, self.low) = (high, low) }

    /// A random, non-zero id.
    public static func random() -> TraceID {
        while true {
            let id = TraceID(high: IDGenerator.next(), low: IDGenerator.next())
            if id.high != 0 || id.low != 0 { return id }
        }
    }

    public var hex: String { SpanID.hex(high) + SpanID.hex(low) }
    public var bytes: [UInt8] { SpanID.bigEndian(high) + SpanID.bigEndian(low) }
    public var description: String { hex }
}

/// A span's 8-byte id.
public struct SpanID: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// A random, non-zero id.
    public static func random() -> SpanID {
        while true {
            let value = IDGenerator.next()
            if value != 0 { return SpanID(value) }
        }
    }

    public var hex: String { Self.hex(value) }
    public var bytes: [UInt8] { Self.bigEndian(value) }
    public var description: String { hex }

    static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            writeHex(value, into: buffer, at: 0)
            return 16
        }
    }

    /// 16 lower-case hex digits of `value` at `offset`.
    static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for i in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: (value >> UInt64(60 - 4 * i)) & 0xF)
            buffer[offset + i] = nibble < 10 ? nibble + UInt8(ascii: "0") : nibble - 10 + UInt8(ascii: "a")
        }
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * $0)) }
    }
}

/// Span and trace ids: splitmix64 over an atomic counter seeded from the system's generator once,
/// so an id costs a few instructions instead of a `getrandom` call (one per span, on every
/// delivery), and ids stay uniformly distributed, as ratio sampling by trace id needs.
enum IDGenerator {
    private static let state = Atomic<UInt64>({ var system = SystemRandomNumberGenerator(); return system.next() }())

    static func next() -> UInt64 {
        var z = state.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
