import JSON

/// A payment as the gateway stand-in keeps it and answers it (`GET /payments/{id}`):
/// `{"paymentId","orderId","customerId","amount","status"}`. The stand-in is a third party: it
/// shares no type with Baedal's payments context, only the JSON of the contract.
public struct LedgerPayment: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case approved, cancelled
    }

    public var paymentId: String
    public var orderId: String
    public var customerId: String
    public var amount: Int
    public var status: Status

    public init(paymentId: String, orderId: String, customerId: String, amount: Int, status: Status) {
        self.paymentId = paymentId
        self.orderId = orderId
        self.customerId = customerId
        self.amount = amount
        self.status = status
    }

    public var json: String {
        JSONWriter.object { json in
            json.field("paymentId", paymentId)
            json.field("orderId", orderId)
            json.field("customerId", customerId)
            json.field("amount", amount)
            json.field("status", status.rawValue)
        }
    }
}
