import Contract
import Application
import JSON
import Operations
import Telemetry
import Orders

/// The console's JSON: what the page draws, nothing more. Every value from Redis goes out as a
/// JSON string or number; the page renders each as text.
enum ConsoleViews {
    /// Foods and riders beyond this many are counted, not listed.
    static let top = 20

    static func dashboards(food: [(name: String, count: Int)], riders: [(name: String, count: Int)],
                           minutes: [OrdersInMinute], now: Int64) -> String {
        JSONWriter.object { json in
            json.field("now", now)
            board(food, "foods", "foodId", "units", into: &json)
            board(riders, "riders", "riderId", "deliveries", into: &json)
            json.key("ordersPerMinute")
            json.array(minutes) { json, minute in
                json.object { json in
                    json.field("minute", minute.minute * 60_000)
                    json.key("counts")
                    json.object { json in
                        for (status, count) in minute.counts.sorted(by: { $0.key < $1.key }) { json.field(status, count) }
                    }
                }
            }
        }
    }

    /// The top entries of a board, largest first, with how many there are and their total.
    static func board(_ counts: [(name: String, count: Int)], _ name: String, _ idField: String, _ countField: String,
                      into json: inout JSONWriter) {
        let ranked = counts.sorted { ($0.count, $1.name) > ($1.count, $0.name) }
        json.key(name)
        json.object { json in
            json.field("count", counts.count)
            json.field("total", counts.reduce(0) { $0 &+ $1.count })
            json.key("top")
            json.array(ranked.prefix(top)) { json, entry in
                json.object { json in
                    json.field(idField, entry.name)
                    json.field(countField, entry.count)
                }
            }
        }
    }

    /// Each stream's total over the partitions, in the shape of one stream; with more than one
    /// partition each also lists its partitions' streams (`"partitions":[…]`, by partition).
    static func streams(_ streams: [PartitionedInspector.Stream], partitions: Int, autoscaler: [AutoscalerReport.Policy], now: Int64) -> String {
        JSONWriter.object { json in
            json.field("now", now)
            json.field("partitions", partitions)
            json.key("streams")
            json.array(streams) { json, stream in
                guard partitions > 1 else { return stream.total.write(into: &json) }
                stream.total.write(into: &json, partitions: stream.partitions)
            }
            json.key("autoscaler")
            json.array(autoscaler) { json, policy in
                json.object { json in
                    json.field("policy", policy.policy)
                    json.field("min", policy.min)
                    json.field("max", policy.max)
                    json.field("running", policy.running)
                    json.field("wanted", policy.wanted)
                    json.field("backlog", policy.backlog)
                    json.field("lagPerInstance", policy.lagPerInstance)
                    json.field("at", policy.at)
                    json.field("failures", policy.failures)
                    if let lastFailure = policy.lastFailure { json.field("lastFailure", lastFailure) }
                }
            }
        }
    }

    /// With partitions a letter's `id` is `k/<entry id>` and `partition` says k.
    static func letters(_ letters: [DeadLetterStore.Letter], total: Int, lastId: String?, partitions: Int = 1) -> String {
        JSONWriter.object { json in
            json.field("total", total)
            if let lastId { json.field("lastId", lastId) }
            json.key("letters")
            json.array(letters) { json, letter in
                json.object { json in
                    json.field("id", letter.id)
                    if partitions > 1, let id = DeadLetterID(letter.id, partitions: partitions) { json.field("partition", id.partition) }
                    // The header's `id` (the original entry's) is `entryId` here: `id` is the letter's.
                    for name in DeadLetter.headerFields { json.field(name == "id" ? "entryId" : name, letter.header[name] ?? "") }
                    json.key("original")
                    StreamInspector.Stream.write(letter.original, into: &json)
                }
            }
        }
    }

    /// `partition`: the order's partition, when there are several (its timeline reads only that one).
    /// `traceURL` is `BAEDAL_TRACE_URL` (`{traceId}` in it is replaced by each entry's trace id).
    static func order(_ orderId: String, _ order: Order?, _ scan: OrderTimeline.Scan, streams: [String], partition: Int? = nil,
                      traceURL: String? = nil) -> String {
        JSONWriter.object { json in
            json.field("orderId", orderId)
            if let partition { json.field("partition", partition) }
            json.key("order")
            if let order {
                OrderView.write(order, into: &json)
            } else {
                json.raw("null")
            }
            json.key("timeline")
            json.object { json in
                json.key("events")
                json.array(scan.events) { json, event in
                    json.object { json in
                        json.field("stream", event.stream)
                        json.field("id", event.id)
                        json.field("type", event.type)
                        if let at = event.at { json.field("at", at) }
                        let traceparent = event.fields.first { $0.name == "traceparent" }?.value
                        if let trace = traceparent.flatMap({ TraceContext(traceparent: $0) }) {
                            json.field("traceId", trace.traceID.hex)
                            if let traceURL { json.field("traceUrl", traceURL.split(separator: "{traceId}", omittingEmptySubsequences: false).joined(separator: trace.traceID.hex)) }
                        }
                        json.key("fields")
                        StreamInspector.Stream.write(event.fields, into: &json)
                    }
                }
                json.key("streams")
                json.array(streams) { json, stream in json.string(stream) }
                // Aligned with `streams`: pass `after=<index>_<id>` to go on from here.
                json.key("cursors")
                json.array(streams) { json, stream in
                    if let cursor = scan.cursors[stream] { json.string(cursor) } else { json.raw("null") }
                }
                json.key("complete")
                json.raw(scan.complete ? "true" : "false")
                json.field("scanned", scan.scanned)
            }
        }
    }

    /// The orders waiting on someone (`WaitingOrders`).
    static func waiting(_ report: WaitingOrders.Report, acceptSeconds: Int, pickupSeconds: Int, now: Int64) -> String {
        JSONWriter.object { json in
            json.field("now", now)
            json.field("acceptTimeoutSeconds", acceptSeconds)
            json.field("pickupTimeoutSeconds", pickupSeconds)
            json.field("waiting", report.waiting)
            json.key("pastHalf")
            json.array(report.pastHalf) { json, waiting in
                json.object { json in
                    json.field("orderId", waiting.orderId)
                    json.field("deadline", waiting.deadline)
                    json.field("due", waiting.due)
                }
            }
            json.field("openFlags", report.openFlags)
            json.key("flags")
            json.array(report.flags) { json, flag in
                json.object { json in
                    json.field("orderId", flag.orderId)
                    json.field("flaggedAt", flag.flaggedAt)
                }
            }
            json.key("slowestStores")
            json.array(report.slowestStores) { json, store in
                json.object { json in
                    json.field("storeId", store.storeId)
                    json.field("medianAcceptMs", store.medianAcceptMilliseconds)
                    json.field("measured", store.measured)
                }
            }
        }
    }
}
