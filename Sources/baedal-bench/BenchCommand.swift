import ArgumentParser
import Daemon

/// `baedal-bench`'s command line: one subcommand per measurement (`make bench` runs them).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baedal-bench",
        abstract: "make bench's load generator and stopwatch.",
        discussion: """
        It works on the deployment BAEDAL_REDIS_URL and BAEDAL_PREFIX name, as every Baedal process; the processes it \
        starts get its environment. A usage error: one line on stderr, exit 64; a failure: one line, exit 2.

        \((BaedalEnvironment.backboneSettings + Restarts.settings).helpSection())
        """,
        version: BaedalVersion.current,
        subcommands: [Fill.self, Drain.self, Restarts.self, Autoscale.self, Flow.self, Tokens.self, Life.self]
    )

    struct Fill: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fill", abstract: "Append N OrderPlaced events to the order stream (pipelined).")
        @Argument(help: ArgumentHelp("How many events.", valueName: "N")) var count: Int
        func validate() throws { guard count > 0 else { throw ValidationError("N must be a positive number") } }
    }

    struct Drain: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drain", abstract: "Run K projector processes from a fresh group until the order stream is drained.")
        @Argument(help: ArgumentHelp("How many worker processes.", valueName: "K")) var workers: Int
        @Argument(help: ArgumentHelp("The baedal-worker executable.", valueName: "WORKER-BINARY")) var worker: String
        func validate() throws { guard workers > 0 else { throw ValidationError("K must be a positive number") } }
    }

    struct Restarts: ParsableCommand {
        static let settings: [EnvironmentSetting] = [
            .init("BENCH_TOKEN", default: "none", "restarts: a customer's token (needed)"),
            .init("QUIET_SECONDS", default: "60", "restarts: seconds of load without restarts first"),
        ]
        static let configuration = CommandConfiguration(
            commandName: "restarts", abstract: "POST /orders while the API restarts: every 2xx must be an order, no order without one.")
        @Argument(help: ArgumentHelp("The baedal-api executable.", valueName: "API-BINARY")) var api: String
    }

    struct Autoscale: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "autoscale", abstract: "A burst of N events, drained by one fixed worker, then by the autoscaler.")
        @Argument(help: ArgumentHelp("The baedal-autoscaler executable.", valueName: "AUTOSCALER-BINARY")) var autoscaler: String
        @Argument(help: ArgumentHelp("The baedal-worker executable.", valueName: "WORKER-BINARY")) var worker: String
        @Argument(help: ArgumentHelp("How many events.", valueName: "N")) var burst: Int
        func validate() throws { guard burst > 0 else { throw ValidationError("N must be a positive number") } }
    }

    struct Flow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "flow",
            abstract: "POST /orders at a fixed rate (open loop); the lag from each 201 to the order on the store's board, my page, the dashboard.")
        @Argument(help: ArgumentHelp("Orders per second.", valueName: "RATE")) var rate: Int
        @Argument(help: ArgumentHelp("For how long.", valueName: "SECONDS")) var seconds: Int
        @Argument(help: ArgumentHelp("Where baedal-api listens on 127.0.0.1.", valueName: "API-PORT")) var port: Int
        @Argument(help: ArgumentHelp("A customer's bearer token.", valueName: "TOKEN")) var token: String
        @Argument(help: ArgumentHelp("That customer's id.", valueName: "CUSTOMER")) var customer: String
        func validate() throws {
            guard rate > 0, seconds > 0, (1...65_535).contains(port) else {
                throw ValidationError("RATE and SECONDS must be positive numbers, API-PORT a port")
            }
        }
    }

    struct Tokens: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokens",
            abstract: "The cost of verifying one bearer token: HS256 against RS256, ES256 and EdDSA with cached keys (no Redis needed).")
        @Argument(help: ArgumentHelp("Rounds; the figure is the median round.", valueName: "ROUNDS")) var rounds: Int = 5
        @Option(help: "Verifications of each algorithm per round.") var verifications: Int = 2_000
        func validate() throws {
            guard rounds > 0, verifications > 0 else { throw ValidationError("ROUNDS and --verifications must be positive numbers") }
        }
    }

    struct Life: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "life",
            abstract: "Whole order lives over the HTTP API (place, accept, cook, pick, deliver, confirm): Redis CPU per life and per placement.",
            discussion: """
            C threads act as C customers and as the owners of the seeded stores and riders of their regions acting on those \
            orders, back to back. Each phase waits until every consumer group has read everything and holds nothing pending; \
            Redis's INFO cpu before and after, minus the idle cost of the stack over the same time (measured first), divided \
            by the orders; INFO commandstats after CONFIG RESETSTAT says which commands spent it. Tokens are minted with \
            baedalctl token (BAEDAL_JWT_SECRET), stores and menus read from GET /stores (baedalctl seed). Figures are printed, \
            never asserted.
            """
        )
        @Argument(help: ArgumentHelp("Where baedal-api listens on 127.0.0.1.", valueName: "API-PORT")) var port: Int
        @Option(help: ArgumentHelp("Lives (or placements) per phase.", valueName: "N")) var orders = 1_200
        @Option(name: [.customShort("c"), .long], help: ArgumentHelp("Concurrent customers.", valueName: "C")) var concurrency = 48
        @Option(help: ArgumentHelp("life (whole lives), place (placements only) or both.", valueName: "MODE")) var mode = "both"
        @Option(help: ArgumentHelp("Lives driven first and not counted (default: 2 × C).", valueName: "N")) var warmup: Int?
        @Option(help: ArgumentHelp("Seconds of the idle stack measured first (its cost is subtracted).", valueName: "S")) var idleSeconds = 10.0
        @Option(help: ArgumentHelp("An unpipelined PING's Redis CPU in µs (redis-benchmark, same run): figures also in PINGs.", valueName: "µS"))
        var pingUs: Double?
        @Option(help: ArgumentHelp("A process whose CPU per order is printed (repeatable).", valueName: "NAME=PID")) var pid: [String] = []
        @Option(help: ArgumentHelp("Riders per region.", valueName: "R")) var riders = 4
        @Option(help: ArgumentHelp("Afterwards, this many GETs of each read (an order, a store board, a riders' board), each measured alone.", valueName: "R"))
        var reads = 0
        @Flag(help: "Diagnosis: log every command in the SLOWLOG and attribute scripts and reads to groups (costs Redis CPU).") var slowlog = false
        @Option(help: ArgumentHelp("A label carried on the result lines (e.g. old or new).", valueName: "TEXT")) var label = ""
        @Option(help: ArgumentHelp("The baedalctl executable (default: beside this one).", valueName: "PATH")) var baedalctl: String?
        @Option(help: ArgumentHelp("Rows of the commandstats table.", valueName: "K")) var top = 14
        @Option(help: ArgumentHelp("Start lives at this rate (open loop, at most C at once) instead of back to back: the cost at a fixed load, "
                                   + "whatever the binaries' speed (the policies' batches grow with the load).", valueName: "PER-SECOND"))
        var rate = 0

        func validate() throws {
            guard (1...65_535).contains(port) else { throw ValidationError("API-PORT must be a port") }
            guard orders > 0, concurrency > 0, riders > 0, reads >= 0, idleSeconds >= 0, rate >= 0 else {
                throw ValidationError("--orders, --concurrency and --riders must be positive, --reads, --idle-seconds and --rate not negative")
            }
            guard ["life", "place", "both"].contains(mode) else { throw ValidationError("--mode must be life, place or both") }
            if let warmup, warmup < 0 { throw ValidationError("--warmup must not be negative") }
            for entry in pid where entry.split(separator: "=").count != 2 || Int32(entry.split(separator: "=").last ?? "") == nil {
                throw ValidationError("--pid takes NAME=PID, got '\(entry)'")
            }
        }
    }
}
