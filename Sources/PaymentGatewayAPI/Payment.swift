import JSON

/// A payment as the payment gateway's API shows it (the contract's `GET /payments/{id}`):
/// `{"paymentId","orderId","customerId","amount","status"}`. Both sides speak it: the gateway
/// stand-in writes it, Baedal's payments context reads it; neither knows more of the other.
public struct Payment: Sendable, Hashable {
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

    /// `{"paymentId","orderId","customerId","amount","status"}` (the contract's GET).
    public var json: String {
        JSONWriter.object { json in
            json.field("paymentId", paymentId)
            json.field("orderId", orderId)
            json.field("customerId", customerId)
            json.field("amount", amount)
            json.field("status", status.rawValue)
        }
    }

    /// Reads the gateway's JSON for a payment.
    public init(json text: String) throws(JSONReader.Failure) {
        var paymentId: String?, orderId: String?, customerId: String?, amount: Int?, status: Status?
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "paymentId": paymentId = try reader.readString()
                case "orderId": orderId = try reader.readString()
                case "customerId": customerId = try reader.readString()
                case "amount": amount = try reader.readInt()
                case "status":
                    let text = try reader.readString()
                    guard let value = Status(rawValue: text) else { throw reader.fail("unknown status '\(text)'") }
                    status = value
                default: try reader.skipValue()
                }
            }
            guard paymentId != nil, orderId != nil, amount != nil, status != nil else { throw reader.fail("a payment needs paymentId, orderId, amount and status") }
        }
        self.init(paymentId: paymentId!, orderId: orderId!, customerId: customerId ?? "", amount: amount!, status: status!)
    }
}

extension Payment {
    /// The approval's body, `{"paymentId","status":"approved"}` (a repeated key may find it `cancelled`).
    public init(paymentResponse text: String, orderId: String, customerId: String, amount: Int) throws(JSONReader.Failure) {
        var paymentId: String?
        var status = Status.approved
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "paymentId": paymentId = try reader.readString()
                case "status":
                    let text = try reader.readString()
                    guard let value = Status(rawValue: text) else { throw reader.fail("unknown status '\(text)'") }
                    status = value
                default: try reader.skipValue()
                }
            }
            guard let id = paymentId, !id.isEmpty else { throw reader.fail("paymentId is missing") }
        }
        self.init(paymentId: paymentId!, orderId: orderId, customerId: customerId, amount: amount, status: status)
    }
}
