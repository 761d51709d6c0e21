import Contract
import Redis

extension DeadLetter {
    /// Reads an entry of the dead-letter stream from a reply (`[id, [field, value, ...]]`).
    static func letter(_ entry: RESPValue) -> Letter? {
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
        return letter(id: id, fields: parts[1].pairs.map { StreamField($0.name.string ?? "", $0.value.bytes ?? []) })
    }
}
