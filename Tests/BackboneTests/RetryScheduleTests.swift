import Contract
import Backbone
import Logging
import Synchronization
import Testing

/// When a failing message is delivered again, on a fake clock: the delays double from the first
/// to the cap, and the message is dead-lettered on its last delivery, not before.
@Suite("The delivery schedule of failing messages")
struct RetryScheduleTests {
    struct Down: Error {}

    @Test func delaysDoubleFromTheFirstUpToTheCap() {
        let schedule = RetrySchedule(firstMilliseconds: 1_000, maxMilliseconds: 600_000)
        let delays = (1...12).map { schedule.delay(afterDelivery: $0) }
        #expect(delays == [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 600_000, 600_000])
        #expect(schedule.delay(afterDelivery: 10_000) == 600_000, "no overflow far past the cap")
        #expect(schedule.delay(afterDelivery: 0) == 1_000)
        // 25 deliveries by default: about 2 h 47 min of retrying before the dead letter.
        #expect(schedule.span(maxDeliveries: 25) == 1_023_000 + 14 * 600_000)
        #expect(schedule.due(afterDelivery: 3, now: 10_000) == 14_000)
    }

    @Test func aMessageThatKeepsFailingIsDeadLetteredOnItsLastDeliveryAndNotBefore() async throws {
        let schedule = RetrySchedule(firstMilliseconds: 1_000, maxMilliseconds: 600_000)
        let deadLetter = DeadLetter(deadStream: "t:dead", group: "webhook", consumer: "c")
        let handler = StandardMiddleware.deadLetter(deadLetter, maxDeliveries: 25, logger: Logger(label: "t"))({ _ in throw Down() })
        var clock: Int64 = 0
        var deliveredAt: [Int64] = []
        var delivery = 1
        while true {
            deliveredAt.append(clock)
            let message = StreamMessage(stream: "t:events:notify-webhook", id: "1-0",
                                        fields: [StreamField("type", "NotificationSent"), StreamField("orderId", "o-1")], deliveries: delivery)
            do {
                let effects = try await handler(message)
                // Buried: the dead letter is the message's last write.
                guard case .append(let stream, let fields) = effects.writes.first else { Issue.record("no dead letter"); return }
                #expect(stream == "t:dead")
                #expect(fields.first { $0.name == "deliveries" }?.value == Array("25".utf8))
                break
            } catch is Down {
                #expect(delivery < 25, "still retried on delivery \(delivery)")
                clock = schedule.due(afterDelivery: delivery, now: clock)
                delivery += 1
            }
        }
        #expect(delivery == 25)
        #expect(deliveredAt.prefix(6) == [0, 1_000, 3_000, 7_000, 15_000, 31_000])
        #expect(deliveredAt.last == Int64(schedule.span(maxDeliveries: 25)), "the last delivery comes after the whole schedule")
        #expect(deliveredAt.last! > 2 * 3_600_000, "an outage of two hours dead-letters nothing")
    }
}
