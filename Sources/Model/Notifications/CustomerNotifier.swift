import Contract
import JSON
import Orders

/// `baedal-worker notification`: one message per status change in the customer's inbox
/// (`Keys.inbox`, each message's JSON scored by when its event happened), exactly once however
/// often the event is delivered. With a webhook configured, the message also goes to the
/// `notify-webhook` outbox, sent by its own consumer group (`WebhookSender`) so that a failing
/// webhook never holds up the inbox.
public enum CustomerNotifier {
    public static let name = "notification"

    /// What the customer reads for each status.
    public static func text(for status: OrderStatus) -> String {
        switch status {
        case .placed: "주문이 접수되었습니다"
        case .accepted: "가게에서 주문을 수락했습니다"
        case .rejected: "가게에서 주문을 거절했습니다. 결제가 취소됩니다"
        case .cooking: "조리를 시작했습니다"
        case .cooked: "조리가 끝났습니다. 라이더를 찾고 있습니다"
        case .picked: "라이더가 음식을 픽업했습니다"
        case .delivered: "배달이 완료되었습니다"
        case .completed: "주문이 완료되었습니다. 감사합니다"
        case .cancelled: "주문이 취소되었습니다. 결제가 환불됩니다"
        }
    }

    /// What the customer reads when the store did not answer in time (`OrderRejected` `by: platform`).
    public static let unansweredText = "가게가 응답하지 않아 주문이 자동으로 거절되었습니다. 결제가 취소됩니다"
    /// What the customer reads when no rider picked the cooked order in time (`PickupOverdue`).
    public static let stillLookingText = "아직 라이더를 찾고 있습니다. 조금만 기다려 주세요"

    /// With the slip notices (`DeliverySlips`): the promise made at placement, kept until the order
    /// ends, and a message when the food will be a slip later than promised.
    public static func policy(keys: Keys, webhook: Bool, slips: DeliverySlips) -> Policy {
        let promising: Set<EventType> = [.orderPlaced, .deliveryCompleted, .orderCancelled, .orderRejected, .deadlineDue]
        return Policy(name: name, streams: [.order, .store, .delivery, .deadlines]) { message in
            let messages = try effects(of: message, keys: keys, webhook: webhook)
            let event = try EventEnvelope(message)
            guard let stream = keys.streamName(ofKey: message.stream), let type = EventType.on(stream, event.type), promising.contains(type) else {
                return messages
            }
            return messages + (try await slips.effects(of: event, type: type, data: try event.decoded(), messageId: message.id))
        }
    }

    /// Pure: the inbox's write (and the outbox entry) one message asks for.
    public static func effects(of message: StreamMessage, keys: Keys, webhook: Bool) throws(MalformedEvent) -> Effects {
        let event = try EventEnvelope(message)
        guard let stream = keys.streamName(ofKey: message.stream), let type = EventType.on(stream, event.type),
              let status = type == .pickupOverdue ? .cooked : OrderEvent.status(announcedBy: type) else { return .none }
        let data = try event.decoded()
        let customerId = try data.requiredId(\.customerId, "customerId", of: event)  // every order event carries it
        let words = type == .pickupOverdue ? stillLookingText
            : type == .orderRejected && data.by == Rejecter.platform.rawValue ? unansweredText : text(for: status)
        let json = JSONWriter.object { json in
            json.field("orderId", event.orderId)
            json.field("status", status.rawValue)
            json.field("text", words)
            json.field("at", event.at)
            json.field("eventId", message.id)
        }
        var effects = Effects([.add(sortedSet: keys.inbox(customerId), member: json, score: event.at)])
        if webhook {
            effects.writes.append(.append(stream: keys.stream(.notifyWebhook), fields: [
                StreamField("type", EventType.notificationSent.rawValue), StreamField("orderId", event.orderId), StreamField("at", String(event.at)),
                StreamField("data", json), StreamField("customerId", customerId), StreamField("eventId", message.id),
            ]))
        }
        return effects
    }
}
