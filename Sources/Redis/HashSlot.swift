import Numbers
/// One of a Redis Cluster's 16,384 hash slots: where a key lives. Redis computes it as CRC16
/// (XMODEM) of the key mod 16384, but of the key's hash tag only when it has one (the bytes
/// between the first `{` and the first `}` after it, if there are any), so that keys meant for
/// one atomic step (`{7}:order`, `{7}:events`) land on one node. The client must compute exactly
/// what the server does: a slot computed differently is a command sent to the wrong node.
public struct HashSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How many slots a cluster has.
    public static let count = 16_384

    /// 0 ..< 16384.
    public let rawValue: UInt16

    /// Nil outside 0 ..< 16384 (a number read from a reply is checked, never trusted).
    public init?(_ value: Int) {
        guard value >= 0, value < Self.count else { return nil }
        rawValue = UInt16(value)
    }

    /// The slot of a key given as bytes (keys are binary-safe).
    public init(key: some Collection<UInt8>) {
        rawValue = Self.crc16(Self.hashed(key)) & UInt16(Self.count - 1)
    }

    /// The slot of a key given as text (its UTF-8 bytes).
    public init(key: String) {
        self.init(key: Array(key.utf8))
    }

    /// Whether a key has a hash tag (a `{` followed, after at least one byte, by a `}`).
    public static func hasTag(_ key: String) -> Bool {
        guard let open = key.utf8.firstIndex(of: UInt8(ascii: "{")) else { return false }
        let rest = key.utf8[key.utf8.index(after: open)...]
        guard let close = rest.firstIndex(of: UInt8(ascii: "}")) else { return false }
        return close != rest.startIndex
    }

    public var value: Int { Int(rawValue) }
    public var description: String { String(rawValue) }

    public static func < (lhs: HashSlot, rhs: HashSlot) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Every slot, in order.
    public static var all: [HashSlot] { (0..<count).map { HashSlot(uncheckedValue: $0) } }

    init(uncheckedValue value: Int) {
        rawValue = UInt16(truncatingIfNeeded: value) & UInt16(Self.count - 1)
    }

    /// The part of the key that is hashed: the content of the first `{…}` when it is not empty,
    /// else the whole key. `a{b}c{d}` hashes `b`; `{}x` and `}{` hash the whole key; `{{a}}`
    /// hashes `{a` (the first `}` after the first `{` closes it).
    public static func hashed<Key: Collection<UInt8>>(_ key: Key) -> Key.SubSequence {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let start = key.index(after: open)
        guard let close = key[start...].firstIndex(of: UInt8(ascii: "}")), close != start else { return key[...] }
        return key[start..<close]
    }

    /// CRC16-CCITT (XMODEM), the cluster spec's checksum (`Numbers.CRC16`).
    public static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 { CRC16.xmodem(bytes) }
}
