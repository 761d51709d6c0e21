import ArgumentParser
import Contract
import Operations

/// `baedalctl tail [STREAM]`: the newest events of a stream, every partition's merged in time
/// order, one line each (what `redis-cli XRANGE` of the one stream was before partitions).
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print the newest entries of a stream, every partition's merged in time order.",
        discussion: "Each line: the entry id (with its partition, k/<id>, when there are several), then its fields as written."
    )

    @Argument(help: ArgumentHelp("order, payment, store, delivery, dead, payment-voids or notify-webhook", valueName: "STREAM"))
    var stream: String = "order"

    @Option(help: "how many of the newest entries, 1…10000")
    var count = 20

    func validate() throws {
        guard StreamTail.Stream(rawValue: stream) != nil else {
            throw ValidationError("unknown stream '\(stream)': one of \(StreamTail.Stream.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be 1…10000") }
    }

    func run() async throws {
        let which = StreamTail.Stream(rawValue: stream)!
        let entries = try await Deployment.with { deployment in
            try await StreamTail(keySpace: deployment.keySpace, redis: deployment.redis).newest(which, count: count)
                .map { (deployment.keySpace.partitions > 1 ? "\($0.partition)/\($0.id)" : $0.id.description, $0.fields) }
        }
        for (id, fields) in entries {
            say(([id] + fields.map { "\($0.name)=\($0.value)" }).joined(separator: " "))
        }
    }
}
