import Contract

/// A dead letter's id as operators see it: the entry's id in its partition's dead-letter stream,
/// prefixed with the partition when there is more than one (`3/1700000000000-0`). With one
/// partition the plain entry id is the whole id, as before partitions (`0/<id>` reads too).
///
/// Letters of several partitions are ordered by entry id, then partition: the order in which
/// they were written, as far as the partitions' clocks tell (each partition's stream has its own).
public struct DeadLetterID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var partition: Int
    public var entry: StreamID
    /// Whether the id names its partition when printed (more than one partition).
    public var qualified: Bool

    public init(partition: Int, entry: StreamID, qualified: Bool) {
        self.partition = partition
        self.entry = entry
        self.qualified = qualified
    }

    /// Reads `<partition>/<entry id>`, or a plain entry id when there is one partition; nil for
    /// anything else (a partition out of range, a plain id among several partitions).
    public init?(_ text: String, partitions: Int) {
        guard let slash = text.firstIndex(of: "/") else {
            guard partitions == 1, let entry = StreamID(text) else { return nil }
            self.init(partition: 0, entry: entry, qualified: false)
            return
        }
        let digits = text[..<slash]
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let partition = Int(digits),
              (0..<partitions).contains(partition), let entry = StreamID(text[text.index(after: slash)...]) else { return nil }
        self.init(partition: partition, entry: entry, qualified: partitions > 1)
    }

    public var description: String { qualified ? "\(partition)/\(entry)" : entry.description }

    public static func < (a: DeadLetterID, b: DeadLetterID) -> Bool {
        a.entry != b.entry ? a.entry < b.entry : a.partition < b.partition
    }
}
