/// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection; the checksum of
/// "123456789" is 0x31C3. Redis Cluster's slot function (a key's slot is this mod 16384), and
/// Baedal's partition function (an order's partition is this of its id mod the partition count).
public enum CRC16 {
    public static func xmodem(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(byte))]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { byte in
        var crc = UInt16(byte) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
