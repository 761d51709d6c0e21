import Contract
import Application
import HTTPServer
import Hummingbird
import JSON
import Logging
import Operations
import Orders
import Redis

/// The JSON routes behind the operator console (`/console/api/…`), every one for an operator's
/// token only (401 without a valid token, 403 for another role). Reads go through the tools
/// `baedalctl` uses (`PartitionedInspector`, `DeadLetterStore`, `OrderTimeline`) and the read
/// models; actions are `POST`s that do exactly what `baedalctl dead replay|drop` does. With
/// partitions, streams are totals over them (each partition's beside), dead letters come from
/// every partition (ids `k/<entry id>`), and an order's timeline reads its own partition.
public struct ConsoleAPIController: Sendable {
    let baedal: Baedal
    let inspector: PartitionedInspector
    let deadLetters: DeadLetterStore
    let autoscaler: AutoscalerReport
    let waiting: WaitingOrders
    let auth: Authenticator
    /// `BAEDAL_TRACE_URL`: each timeline entry links its trace there.
    let traceURL: String?

    init(baedal: Baedal, keySpace: KeySpace, redis: any RedisExecutor, auth: Authenticator, timeouts: OrderTimeouts = .standard,
         traceURL: String? = nil) {
        self.baedal = baedal
        inspector = PartitionedInspector(keySpace: keySpace, redis: redis)
        deadLetters = DeadLetterStore(keySpace: keySpace, redis: redis)
        autoscaler = AutoscalerReport(keys: keySpace.shared, redis: redis)
        waiting = WaitingOrders(keySpace: keySpace, redis: redis, acceptSeconds: timeouts.acceptSeconds, pickupSeconds: timeouts.pickupSeconds)
        self.auth = auth
        self.traceURL = traceURL
    }

    var keySpace: KeySpace { inspector.keySpace }

    /// The timeline of an order: its own partition's streams.
    func orderTimeline(_ orderId: String) -> OrderTimeline { OrderTimeline(keySpace: keySpace, orderId: orderId, redis: inspector.redis) }

    /// The page shows this many dead letters (the oldest); the total is always given.
    static let lettersShown = 100

    func addRoutes(to group: RouterGroup<BaedalContext>) {
        group.get("api/dashboards") { request, _ in
            _ = try await auth.actor(request, in: .operator)
            let now = epochMilliseconds()
            async let food = baedal.queries.dashboard(.foodOrders)
            async let riders = baedal.queries.dashboard(.riderDeliveries)
            async let minutes = baedal.queries.ordersPerMinute(last: 60, now: now)
            return JSONBody.response(ConsoleViews.dashboards(food: try await food, riders: try await riders, minutes: try await minutes, now: now))
        }
        group.get("api/streams") { request, _ in
            _ = try await auth.actor(request, in: .operator)
            let now = epochMilliseconds()
            async let streams = inspector.streams()
            async let scaling = autoscaler.policies(now: now)
            return JSONBody.response(ConsoleViews.streams(try await streams, partitions: keySpace.partitions, autoscaler: try await scaling, now: now))
        }
        group.get("api/waiting") { request, _ in
            _ = try await auth.actor(request, in: .operator)
            let now = epochMilliseconds()
            let stores = try await baedal.queries.stores().map(\.storeId)
            return JSONBody.response(ConsoleViews.waiting(try await waiting.read(now: now, stores: stores),
                                                          acceptSeconds: waiting.acceptSeconds, pickupSeconds: waiting.pickupSeconds, now: now))
        }
        group.get("api/dead") { request, _ in
            _ = try await auth.actor(request, in: .operator)
            async let letters = deadLetters.list(count: Self.lettersShown)
            async let summary = deadLetters.summary()
            let (total, newest) = try await summary
            return JSONBody.response(ConsoleViews.letters(try await letters, total: total, lastId: newest, partitions: keySpace.partitions))
        }
        group.post("api/dead/:letterId/replay") { request, context in
            let actor = try await auth.actor(request, in: .operator)
            let (letter, newId) = try await deadLetters.replay(try Self.letterId(context, deadLetters))
            context.logger.notice("dead letter replayed", metadata: Self.metadata(letter, by: actor, ["newId": "\(newId)"]))
            return JSONBody.response(JSONWriter.object { json in
                json.field("replayed", letter.id)
                json.field("stream", letter.stream)
                json.field("group", letter.group)
                json.field("newId", newId)
            })
        }
        group.post("api/dead/:letterId/drop") { request, context in
            let actor = try await auth.actor(request, in: .operator)
            let id = try Self.letterId(context, deadLetters)
            let letter = try await deadLetters.letter(id)
            guard try await deadLetters.drop(id) else { throw DeadLetterStore.Failure.notFound(id) }
            context.logger.notice("dead letter dropped", metadata: Self.metadata(letter, by: actor))
            return JSONBody.response(JSONWriter.object { json in json.field("dropped", id) })
        }
        group.post("api/dead/replay-all") { request, context in
            let actor = try await auth.actor(request, in: .operator)
            let report = try await deadLetters.replayAll(through: try await Self.through(request, deadLetters)) { letter, newId in
                context.logger.notice("dead letter replayed", metadata: Self.metadata(letter, by: actor, ["newId": "\(newId)"]))
            }
            for failure in report.failed {
                context.logger.warning("dead letter not replayed", metadata: ["deadLetter": "\(failure.id)", "reason": "\(failure.reason)", "by": "operator:\(actor.id)"])
            }
            return JSONBody.response(Self.json(report, verb: "replayed"))
        }
        group.post("api/dead/drop-all") { request, context in
            let actor = try await auth.actor(request, in: .operator)
            let report = try await deadLetters.dropAll(through: try await Self.through(request, deadLetters))
            context.logger.notice("dead letters dropped", metadata: ["count": "\(report.done.count)", "by": "operator:\(actor.id)"])
            return JSONBody.response(Self.json(report, verb: "dropped"))
        }
        group.get("api/orders/:orderId") { request, context in
            _ = try await auth.actor(request, in: .operator)
            let orderId = try context.parameters.id("orderId")
            let order = try await baedal.queries.lookUpOrder(orderId)
            let timeline = orderTimeline(orderId)
            let cursors = try Self.cursors(request, streams: timeline.streamKeys)
            try await Self.checkIssued(cursors, inspector: StreamInspector(keys: timeline.keys, redis: timeline.redis))
            let scan = try await timeline.scan(orderId: orderId, placedAt: order?.placedAt, after: cursors)
            return JSONBody.response(ConsoleViews.order(orderId, order, scan, streams: timeline.streamKeys,
                                                        partition: keySpace.partitions > 1 ? keySpace.partition(of: orderId) : nil,
                                                        traceURL: traceURL))
        }
    }

    /// A letter's id from the path: `<entry id>`, or `<partition>/<entry id>` with partitions (its
    /// `/` sent as `%2F`, as `encodeURIComponent` writes it).
    static func letterId(_ context: BaedalContext, _ store: DeadLetterStore) throws -> String {
        let raw = context.parameters.get("letterId") ?? ""
        let id = raw.replacing("%2F", with: "/").replacing("%2f", with: "/")
        guard (try? store.parse(id)) != nil else {
            throw APIError.badRequest(store.partitions.count > 1
                ? "a dead letter's id is <partition>/<stream entry id> (e.g. 3/1700000000000-0)"
                : "a dead letter's id is a stream entry id (milliseconds-sequence)")
        }
        return id
    }

    /// `{"through": "<id>"}`: the newest dead letter the operator saw; "all" means up to it.
    static func through(_ request: Request, _ store: DeadLetterStore) async throws -> String {
        let through = try await JSONBody.read(request) { reader throws(JSONReader.Failure) -> String? in
            var through: String?
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                if key == "through" { through = try reader.readString() } else { try reader.skipValue() }
            }
            return through
        }
        guard let through, (try? store.parse(through)) != nil else {
            throw APIError.badRequest("'through' must be the id of the newest dead letter shown (milliseconds-sequence, or partition/milliseconds-sequence with partitions)")
        }
        return through
    }

    /// `?after=<stream index>_<entry id>` (repeated): where the last timeline scan stopped.
    static func cursors(_ request: Request, streams: [String]) throws -> [String: String] {
        var cursors: [String: String] = [:]
        for value in request.uri.queryParameters.getAll("after") {
            let parts = value.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), streams.indices.contains(index), StreamID(String(parts[1])) != nil else {
                throw APIError.badRequest("after must be <stream index>_<entry id>, got '\(value.prefix(60))'")
            }
            cursors[streams[index]] = String(parts[1])
        }
        return cursors
    }

    /// A cursor is an id the timeline handed out: one beyond the newest id its stream has ever
    /// issued was made up, and would read nothing and call that complete.
    static func checkIssued(_ cursors: [String: String], inspector: StreamInspector) async throws {
        guard !cursors.isEmpty else { return }
        let newest = try await inspector.lastGeneratedIds(Array(cursors.keys))
        for (stream, cursor) in cursors {
            guard let id = StreamID(cursor), let last = newest[stream].flatMap({ StreamID($0) }), id <= last else {
                throw APIError.badRequest("after: \(cursor.prefix(40)) is beyond every entry of \(stream); use the cursors the timeline returned")
            }
        }
    }

    /// `{"<verb>": n, "gone": n, "failed": [{"id","reason"}]}`: what "all" did, letter by letter.
    static func json(_ report: DeadLetterStore.Report, verb: String) -> String {
        JSONWriter.object { json in
            json.field(verb, report.done.count)
            json.field("gone", report.gone.count)
            json.key("failed")
            json.array(report.failed) { json, failure in
                json.object { json in
                    json.field("id", failure.id)
                    json.field("reason", failure.reason)
                }
            }
        }
    }

    static func metadata(_ letter: DeadLetterStore.Letter, by actor: Actor, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "deadLetter": "\(letter.id)", "stream": "\(letter.stream)", "group": "\(letter.group)", "by": "operator:\(actor.id)",
        ]
        if let orderId = letter.originalValue("orderId") { metadata["orderId"] = "\(orderId)" }
        return metadata.merging(extra) { $1 }
    }
}
