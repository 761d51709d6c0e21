import Contract
import JSON

extension StreamInspector.Stream {
    /// The stream as JSON, as `baedalctl status --json` prints it and the console reads it:
    /// `{"stream","length","firstId"?,"lastId"?,"lastEntry"?:[{"name","value"}],"groups":[{"name",
    /// "lag"?,"pending","lastDeliveredId","consumers":[{"name","pending","idleMs"}]}]}`.
    public func write(into json: inout JSONWriter) {
        write(into: &json, partitions: [])
    }

    /// The same, with each partition's stream in `"partitions"` (by partition) when there are any.
    public func write(into json: inout JSONWriter, partitions: [Self]) {
        json.object { json in
            json.field("stream", key)
            json.field("length", length)
            if let firstId { json.field("firstId", firstId) }
            if let lastId { json.field("lastId", lastId) }
            if !lastEntry.isEmpty {
                json.key("lastEntry")
                Self.write(lastEntry, into: &json)
            }
            json.key("groups")
            json.array(groups) { json, group in
                json.object { json in
                    json.field("name", group.name)
                    if let lag = group.lag { json.field("lag", lag) }
                    json.field("pending", group.pending)
                    json.field("lastDeliveredId", group.lastDeliveredId)
                    json.key("consumers")
                    json.array(group.consumers) { json, consumer in
                        json.object { json in
                            json.field("name", consumer.name)
                            json.field("pending", consumer.pending)
                            json.field("idleMs", consumer.idleMilliseconds)
                        }
                    }
                }
            }
            if !partitions.isEmpty {
                json.key("partitions")
                json.array(partitions) { json, part in part.write(into: &json) }
            }
        }
    }

    /// An entry's fields as `[{"name","value"}]`, in order; bytes that are not UTF-8 show as U+FFFD.
    public static func write(_ fields: [StreamField], into json: inout JSONWriter) {
        json.array(fields) { json, field in
            json.object { json in
                json.field("name", field.name)
                json.field("value", String(decoding: field.value, as: UTF8.self))
            }
        }
    }
}
