import Redis
import Testing

/// A dead letter of the projector as the contract writes it: the fields `stream`, `id`, `group`,
/// `consumer`, `deliveries`, `reason` first, then the original entry's fields. Checks that shape
/// (the group, the consumer that gave up, one delivery, a reason, a stream named by
/// `streamPrefix`) and returns the letter's fields (the first of each name).
func expectProjectorLetter(_ entry: RESPValue, consumer: String, streamPrefix: String,
                           sourceLocation: SourceLocation = #_sourceLocation) -> [String: String] {
    let flat = entry.array?[1].array?.compactMap(\.string) ?? []
    #expect(Array(flat.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).prefix(6)) == ["stream", "id", "group", "consumer", "deliveries", "reason"],
            sourceLocation: sourceLocation)
    var fields: [String: String] = [:]
    for index in stride(from: 0, to: flat.count - 1, by: 2) where fields[flat[index]] == nil { fields[flat[index]] = flat[index + 1] }
    #expect(fields["group"] == "projector", sourceLocation: sourceLocation)
    #expect(fields["consumer"] == consumer, sourceLocation: sourceLocation)
    #expect(fields["deliveries"] == "1", sourceLocation: sourceLocation)
    #expect(fields["reason"]?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(fields["stream"]?.hasPrefix(streamPrefix) == true, "\(fields["stream"] ?? "-") under \(streamPrefix)", sourceLocation: sourceLocation)
    #expect(flat.count > 12, "the original fields follow", sourceLocation: sourceLocation)
    return fields
}
