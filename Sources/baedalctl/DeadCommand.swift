import ArgumentParser
import Backbone
import Operations

/// `baedalctl dead list|show ID|replay ID|replay --all|drop ID`.
struct DeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead",
        abstract: "Read, replay or drop the dead letters (baedal:dead).",
        subcommands: [List.self, Show.self, Replay.self, Drop.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per dead letter: id, stream, group, deliveries, event, reason.")

        @Option(help: "at most this many")
        var count = 100

        func run() throws {
            let deployment = try Deployment.connect()
            defer { deployment.connection.close() }
            let store = DeadLetterStore(keys: deployment.keys)
            let letters = try store.list(on: deployment.connection, count: count)
            if letters.isEmpty { print("no dead letters") }
            for letter in letters {
                print("\(pad(letter.id, 18)) \(pad(letter.stream, 26)) group \(pad(letter.group, 18)) deliveries \(pad(letter.header["deliveries"] ?? "?", 3)) \(pad(letter.originalValue("type") ?? "?", 18)) order \(pad(letter.originalValue("orderId") ?? "-", 28)) \(letter.reason)")
            }
            let total = try store.count(on: deployment.connection)
            if total > letters.count { print("… \(total - letters.count) more (--count)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every field of one dead letter.")

        @Argument(help: "the dead letter's id (from dead list)")
        var id: String

        func run() throws {
            let deployment = try Deployment.connect()
            defer { deployment.connection.close() }
            let letter = try DeadCommand.find(id, deployment)
            print("id          \(letter.id)")
            for name in DeadLetter.headerFields { print("\(pad(name, 11)) \(letter.header[name] ?? "")") }
            print("-- the original entry")
            for field in letter.original { print("\(pad(field.name, 11)) \(String(decoding: field.value, as: UTF8.self))") }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put dead letters back on their stream, for the group that gave up on them only.",
            discussion: "Fix the cause first. The replayed entry carries replayFor=<group>: other groups acknowledge it without handling it, so nothing is counted twice."
        )

        @Argument(help: "the dead letter's id")
        var id: String?

        @Flag(help: "replay every dead letter")
        var all = false

        func validate() throws {
            guard (id != nil) != all else { throw ValidationError("give one dead letter's id, or --all") }
        }

        func run() throws {
            let deployment = try Deployment.connect()
            defer { deployment.connection.close() }
            let store = DeadLetterStore(keys: deployment.keys)
            let ids = all ? try store.list(on: deployment.connection, count: 1_000_000).map(\.id) : [id!]
            for id in ids {
                let letter = try DeadCommand.find(id, deployment)
                let newId = try store.replay(id, on: deployment.connection)
                print("replayed \(id) → \(letter.stream) \(newId) for group \(letter.group)")
            }
            if ids.isEmpty { print("no dead letters") }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one dead letter for good.")

        @Argument(help: "the dead letter's id")
        var id: String

        func run() throws {
            let deployment = try Deployment.connect()
            defer { deployment.connection.close() }
            _ = try DeadCommand.find(id, deployment)
            _ = try DeadLetterStore(keys: deployment.keys).drop(id, on: deployment.connection)
            print("dropped \(id)")
        }
    }

    static func find(_ id: String, _ deployment: Deployment) throws -> DeadLetterStore.Letter {
        do {
            return try DeadLetterStore(keys: deployment.keys).letter(id, on: deployment.connection)
        } catch let failure as DeadLetterStore.Failure {
            FileHandleStandardError.write("baedalctl: \(failure)\n")
            throw ExitCode(1)
        }
    }
}
