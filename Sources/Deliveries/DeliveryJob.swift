import Backbone
import JSON

/// What dispatch reads: the region, and who to tell.
struct DeliveryJob: EventDataView {
    var region: String
    var customerId: String
    var storeId: String

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var region: String?, customerId = "", storeId = ""
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case "region": region = try reader.readString()
            case "customerId": customerId = try reader.readString()
            case "storeId": storeId = try reader.readString()
            default: try reader.skipValue()
            }
        }
        guard let region, !region.isEmpty else { throw reader.fail("region is missing") }
        if let problem = Identifier.problem(region) { throw reader.fail("region \(problem)") }
        self.region = region
        self.customerId = customerId
        self.storeId = storeId
    }
}
