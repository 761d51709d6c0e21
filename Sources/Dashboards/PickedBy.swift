import Backbone
import JSON

/// `DeliveryPicked` names the rider.
struct PickedBy: EventDataView {
    var riderId: String

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var riderId: String?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            if key == "riderId" { riderId = try reader.readString() } else { try reader.skipValue() }
        }
        guard let riderId else { throw reader.fail("riderId is missing") }
        self.riderId = riderId
    }
}
