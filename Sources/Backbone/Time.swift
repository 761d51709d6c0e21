#if canImport(Glibc)
import Glibc
#endif

/// Milliseconds since the epoch, the unit of every `at` in the contract.
@Sendable public func epochMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// Random identifiers: a prefix and 24 hex digits (96 random bits).
public func randomIdentifier(_ prefix: String) -> String {
    var generator = SystemRandomNumberGenerator()
    let high = generator.next() as UInt64
    let low = generator.next() as UInt32
    return prefix + hex(high, digits: 16) + hex(UInt64(low), digits: 8)
}

/// A stable identifier derived from text (FNV-1a, 128 bits as two 64-bit lanes): the same
/// request always names the same thing.
public func derivedIdentifier(_ prefix: String, from text: String) -> String {
    var first: UInt64 = 0xcbf2_9ce4_8422_2325
    var second: UInt64 = 0x8422_2325_cbf2_9ce4
    for byte in text.utf8 {
        first = (first ^ UInt64(byte)) &* 0x100_0000_01b3
        second = (second ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 0x9e37_79b9
    }
    return prefix + hex(first, digits: 16) + hex(second >> 32, digits: 8)
}

private func hex(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(digits - text.count, 0)) + text
}
