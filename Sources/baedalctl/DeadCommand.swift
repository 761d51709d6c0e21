import ArgumentParser
import Backbone
import Contract
import Operations

/// `baedalctl dead list|show ID|replay ID|replay --all|drop ID|drop --all`: what the console's
/// dead-letter buttons do, through the same `DeadLetterStore`.
struct DeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead",
        abstract: "Read, replay or drop the dead letters (baedal:dead, or every partition's baedal:{k}:dead).",
        discussion: "With BAEDAL_PARTITIONS above 1 a dead letter's id names its partition: k/<entry id> (as dead list prints it).",
        subcommands: [List.self, Show.self, Replay.self, Drop.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per dead letter: id, stream, group, deliveries, event, reason.")

        @Option(help: "at most this many, 1…10000")
        var count = 100

        func validate() throws {
            guard (1...10_000).contains(count) else { throw ValidationError("--count must be 1…10000") }
        }

        func run() async throws {
            try await Deployment.with { deployment in
                let store = DeadLetterStore(keySpace: deployment.keySpace, redis: deployment.redis)
                let letters = try await store.list(count: count)
                if letters.isEmpty { say("no dead letters") }
                for letter in letters {
                    say("\(pad(letter.id, 18)) \(pad(letter.stream, 26)) group \(pad(letter.group, 18)) deliveries \(pad(letter.header["deliveries"] ?? "?", 3)) \(pad(letter.originalValue("type") ?? "?", 18)) order \(pad(letter.originalValue("orderId") ?? "-", 28)) \(letter.reason)")
                }
                let total = try await store.count()
                if total > letters.count { say("… \(total - letters.count) more (--count)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every field of one dead letter.")

        @Argument(help: "the dead letter's id (from dead list: k/<entry id> with partitions)")
        var id: String

        func run() async throws {
            try await Deployment.with { deployment in
                let letter = try await DeadCommand.found { try await DeadLetterStore(keySpace: deployment.keySpace, redis: deployment.redis).letter(id) }
                say("id          \(letter.id)")
                for name in DeadLetter.headerFields { say("\(pad(name, 11)) \(letter.header[name] ?? "")") }
                say("-- the original entry")
                for field in letter.original { say("\(pad(field.name, 11)) \(String(decoding: field.value, as: UTF8.self))") }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put dead letters back on their stream, for the group that gave up on them only.",
            discussion: "Fix the cause first. The replayed entry carries replayFor=<group>: other groups acknowledge it without handling it, so nothing is counted twice."
        )

        @OptionGroup var which: Which

        func run() async throws {
            try await Deployment.with { deployment in
                let store = DeadLetterStore(keySpace: deployment.keySpace, redis: deployment.redis)
                guard which.all else {
                    let (letter, newId) = try await DeadCommand.found { try await store.replay(which.id!) }
                    say("replayed \(which.id!) → \(letter.stream) \(newId) for group \(letter.group)")
                    return
                }
                let report = try await store.replayAll { letter, newId in
                    say("replayed \(letter.id) → \(letter.stream) \(newId) for group \(letter.group)")
                }
                for failure in report.failed { FileHandleStandardError.write("baedalctl: not replayed: \(failure.reason)\n") }
                if !report.gone.isEmpty { say("\(report.gone.count) were gone before their turn (replayed or dropped meanwhile)") }
                if report.done.isEmpty && report.gone.isEmpty && report.failed.isEmpty { say("no dead letters") }
                if !report.failed.isEmpty { throw ExitCode(1) }
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead letters for good.")

        @OptionGroup var which: Which

        func run() async throws {
            try await Deployment.with { deployment in
                let store = DeadLetterStore(keySpace: deployment.keySpace, redis: deployment.redis)
                guard let id = which.id else {
                    let dropped = try await store.dropAll().done.count
                    say(dropped == 0 ? "no dead letters" : "dropped \(dropped) dead letters")
                    return
                }
                _ = try await DeadCommand.found { try await store.letter(id) }
                _ = try await store.drop(id)
                say("dropped \(id)")
            }
        }
    }

    /// One dead letter, or every one there is now.
    struct Which: ParsableArguments {
        @Argument(help: "the dead letter's id (k/<entry id> with partitions)")
        var id: String?

        @Flag(help: "every dead letter there is now")
        var all = false

        func validate() throws {
            guard (id != nil) != all else { throw ValidationError("give one dead letter's id, or --all") }
        }
    }

    /// A store's answer, or exit 1 with its reason when there is no such dead letter.
    static func found<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as DeadLetterStore.Failure {
            FileHandleStandardError.write("baedalctl: \(failure)\n")
            throw ExitCode(1)
        }
    }
}
