import Foundation

/// Decoding an event's `data` JSON into the view a consumer needs. Consumers decode only the
/// fields they use, so producers may add fields (the contract allows it) without breaking them.
public enum EventData {
    public static func decode<T: Decodable>(_ type: T.Type, from envelope: EventEnvelope) throws(MalformedEvent) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(envelope.data.utf8))
        } catch let error as DecodingError {
            throw MalformedEvent("\(envelope.type) data: \(describe(error))")
        } catch {
            throw MalformedEvent("\(envelope.type) data: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop(while: { $0 == "." }))
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "not valid JSON"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not a \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected a \(type)"
        @unknown default:
            return "\(error)"
        }
    }
}
