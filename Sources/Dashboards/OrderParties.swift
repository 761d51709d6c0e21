import Backbone
import JSON

/// Who an order event concerns: its customer and its store.
struct OrderParties: EventDataView {
    var customerId: String
    var storeId: String

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var customerId = "", storeId = ""
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case "customerId": customerId = try reader.readString()
            case "storeId": storeId = try reader.readString()
            default: try reader.skipValue()
            }
        }
        // Either may be absent (that view is then left alone), but never a key's worth of garbage.
        if !customerId.isEmpty, let problem = Identifier.problem(customerId) { throw reader.fail("customerId \(problem)") }
        if !storeId.isEmpty, let problem = Identifier.problem(storeId) { throw reader.fail("storeId \(problem)") }
        self.customerId = customerId
        self.storeId = storeId
    }
}
