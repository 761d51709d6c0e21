import Contract
import Numbers
import Testing

/// The partitioned key space: one untagged partition keeps the keys of before, byte for byte; more
/// partitions tag every key of an order with its partition, a function of the order id alone.
@Suite("Key space and partitions")
struct KeySpaceTests {
    @Test func onePartitionKeepsTheKeysOfBefore() {
        let space = KeySpace(prefix: "baedal", partitions: 1)
        let keys = space.keys(forOrder: "o-1")
        #expect(keys == Keys(prefix: "baedal"))
        #expect(keys.stream(.order) == "baedal:events:order")
        #expect(keys.order("o-1") == "baedal:order:o-1")
        #expect(keys.dead == "baedal:dead" && keys.dashboard(.foodOrders) == "baedal:dashboard:food-orders")
        #expect(space.shared.store("s-1") == "baedal:store:s-1" && space.partitionCount == "baedal:partitions")
    }

    @Test func partitionedKeysCarryTheirPartitionsTag() {
        let space = KeySpace(prefix: "baedal", partitions: 16)
        let k = space.partition(of: "o-5f0c")
        #expect(k == Int(CRC16.xmodem("o-5f0c".utf8) % 16))
        let keys = space.keys(forOrder: "o-5f0c")
        #expect(keys.stream(.order) == "baedal:{\(k)}:events:order")
        #expect(keys.order("o-5f0c") == "baedal:{\(k)}:order:o-5f0c")
        #expect(keys.dead == "baedal:{\(k)}:dead")
        #expect(keys.dashboard(.riderDeliveries) == "baedal:{\(k)}:dashboard:rider-deliveries")
        #expect(keys.orderReceipt(customer: "c-1", idempotencyKey: "k") == "baedal:{\(k)}:idempotency:order:c-1:k")
        #expect(space.shared.store("s-1") == "baedal:{catalog}:store:s-1")
        #expect(space.all.count == 16 && Set(space.all.map(\.partition)) == Set(0..<16))
    }

    /// A cluster tags keys even with one partition: every slot question has one answer.
    @Test func aClusterTagsEvenOnePartition() {
        let space = KeySpace(prefix: "baedal", partitions: 1, tagged: true)
        #expect(space.keys(forOrder: "o-1").stream(.store) == "baedal:{0}:events:store")
    }

    @Test func ordersSpreadOverThePartitions() {
        let space = KeySpace(partitions: 16)
        var counts = [Int](repeating: 0, count: 16)
        for index in 0..<16_000 { counts[space.partition(of: "o-\(index)")] += 1 }
        #expect(counts.allSatisfy { (700...1_300).contains($0) }, "\(counts)")
    }
}
