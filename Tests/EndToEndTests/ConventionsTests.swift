import AsyncHTTPClient
import Foundation
import Redis
import Testing
import TestSupport

/// Issue 14: logs and metrics by convention.
@Suite("Logs and metrics by convention", .serialized)
struct ConventionsTests {
    @Test func jsonLogsAreOneObjectPerLineWithTheirFieldsForWorkersAndTheAPI() async throws {
        let deployment = try await Deployment(api: ["BAEDAL_LOG_FORMAT": "json"], workers: [])
        try deployment.startWorker("store-inbox", ["BAEDAL_LOG_FORMAT": "json"])
        let customer = try await deployment.customer("c-json")
        let orderId = try await deployment.placed(customer)
        _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-bad\nforged", "at", "1", "data", "{}")
        #expect(await eventually(seconds: 10) { (try? deployment.redisCommand("XLEN", "baedal:dead").int) == 1 }, "the forged entry is dead-lettered")
        let worker = try #require(deployment.workers["store-inbox"]?.first)
        #expect(await eventually(seconds: 10) { worker.log.contains(#""message":"dead-lettered""#) }, "the worker has logged the dead letter\n\(worker.log)")
        for (name, log) in [("worker", worker.log), ("api", deployment.api?.log ?? "")] {
            let lines = log.split(separator: "\n")
            #expect(lines.count > 2, "\(name): \(log)")
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object != nil, "\(name): not one JSON object: \(line)")
                for field in ["time", "level", "label", "message"] { #expect(object?[field] is String, "\(name): \(field) in \(line)") }
            }
        }
        let objects = worker.log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let buried = try #require(objects.first { $0["message"] as? String == "dead-lettered" })
        #expect(buried["orderId"] as? String == "o-bad\nforged", "the value survives, escaped by JSON")
        #expect(buried["policy"] as? String == "store-inbox" && buried["stream"] as? String == "baedal:events:order" && buried["id"] != nil)
        #expect(buried["consumer"] as? String == "store-inbox-1")
        // The access log: one line per request, with the route, status, duration and order id.
        let api = (deployment.api?.log ?? "").split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let shown = try await deployment.call("GET", "/orders/\(orderId)", token: customer)
        #expect(shown.status == 200)
        #expect(api.contains { $0["message"] as? String == "request" && $0["route"] as? String == "/orders" && $0["status"] as? String == "201" })
        #expect(await eventually(seconds: 5) {
            (deployment.api?.log ?? "").split(separator: "\n").contains { line in
                line.contains("\"route\":\"/orders/{orderId}\"") && line.contains("\"orderId\":\"\(orderId)\"") && line.contains("\"durationMs\"")
            }
        })
    }

    @Test func twoWorkersOfOnePolicyOnOneHostBothServeMetrics() async throws {
        let deployment = try await Deployment(workers: [])
        let base = try freePort()
        for _ in 0..<2 { try deployment.startWorker("projector", ["BAEDAL_METRICS_PORT": "\(base)+"]) }
        var served: [Int] = []
        #expect(await eventually(seconds: 15) {
            served = []
            for port in base..<(base + 4) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
                request.method = .GET
                if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status.code == 200,
                   let body = try? await response.body.collect(upTo: 4 << 20), String(buffer: body).contains("baedal_") {
                    served.append(port)
                }
            }
            return served.count == 2
        }, "\(deployment.logs)")
        #expect(deployment.workers["projector"]?.allSatisfy(\.isRunning) == true)
    }
}
