import Foundation
import Redis
import Synchronization
import Testing
import TestSupport

/// Issue 21: slots moved between primaries while orders flow and the workers drain: the slots of
/// the busiest partitions one by one by hand (their keys a few at a time, so clients meet `ASK`
/// and `TRYAGAIN` on a half-moved slot), then a third of a primary's slots by
/// `redis-cli --cluster reshard`. Every process follows without a restart.
@Suite("Redis Cluster resharding", .serialized)
struct ClusterReshardTests {
    @Test func busyPartitionsMovedBetweenPrimariesUnderLoadLoseNothingAndCountNothingTwice() async throws {
        let cluster = try RedisClusterServers()
        defer { cluster.stop() }
        let deployment = try await Deployment.onCluster(cluster)
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let load = FailoverTests.Load()
        let clients = 4
        async let loading: Void = FailoverTests().run(load, deployment, clients: clients, owner: owner)
        #expect(await eventually(seconds: 30) { load.taken(after: .distantPast) >= 30 }, "30 orders taken before the moves\n\(deployment.logs)")

        // The three partitions with the most orders so far, each to the next primary.
        var perPartition: [Int: Int] = [:]
        for order in load.placed.withLock({ $0 }) { perPartition[deployment.keySpace.partition(of: order.orderId), default: 0] += 1 }
        let busiest = perPartition.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map(\.key)
        let primaries = try cluster.primaryPorts()
        var moved: [Int: Int] = [:]
        for k in busiest {
            let slot = deployment.slot(ofPartition: k)
            let source = try cluster.primaryPort(servingSlot: slot)
            let target = primaries[(primaries.firstIndex(of: source)! + 1) % primaries.count]
            let startedAt = Date()
            try await offThePool { try SlotMove.move(slot, to: target, in: cluster) }
            moved[k] = target
            print("reshard: partition \(k) (slot \(slot), \(perPartition[k] ?? 0) orders so far) moved from \(source) to \(target) in \(Int(Date().timeIntervalSince(startedAt) * 1000)) ms")
        }
        let movedAt = Date()
        #expect(await eventually(seconds: 30) { load.taken(after: movedAt) >= 20 }, "orders flow after the moves\n\(deployment.logs)")

        // A third of the first primary's slots to the second, by redis-cli, keys and all.
        let map = try cluster.slotMap()
        let count = map.shards[0].slotCount / 3
        let (from, to) = (map.shards[0].primary.endpoint.port, map.shards[1].primary.endpoint.port)
        let reshardStarted = Date()
        try await offThePool { try cluster.reshard(slots: count, from: from, to: to) }
        print("reshard: \(count) slots from \(from) to \(to) by redis-cli --cluster reshard in \(Int(Date().timeIntervalSince(reshardStarted) * 1000)) ms")
        let reshardedAt = Date()
        #expect(await eventually(seconds: 30) { load.taken(after: reshardedAt) >= 20 }, "orders flow after redis-cli's reshard\n\(deployment.logs)")
        load.stop()
        await loading

        let placed = load.placed.withLock { $0 }
        let statuses = Set(load.refusals.withLock { $0.map(\.1) })
        print("reshard: \(placed.count) orders placed, \(load.refusals.withLock { $0.count }) answers retried (statuses \(statuses.sorted()))")
        #expect(statuses.isSubset(of: [503]), "refused only with 503, which a retry with the same key fixes: \(statuses)")
        // What the nodes answered meanwhile (printed, not asserted: how many depends on timing).
        var redirects: [String: Int] = [:]
        for server in cluster.servers {
            let info = (try? cluster.connect(port: server.port).send(RedisCommand("INFO", "errorstats")).string) ?? ""
            for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("errorstat_") {
                let name = line.dropFirst("errorstat_".count).prefix { $0 != ":" }
                redirects[String(name), default: 0] += Int(line.split(separator: "=").last.map { $0.prefix { $0.isNumber } } ?? "") ?? 0
            }
        }
        print("reshard: errors the nodes answered: \(redirects.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        // The moved partitions live on their new primaries now (unless redis-cli's reshard took them on).
        for (k, target) in moved {
            let port = try cluster.primaryPort(servingSlot: deployment.slot(ofPartition: k))
            let orders = placed.filter { deployment.keySpace.partition(of: $0.orderId) == k }
            for order in orders.prefix(5) {
                let key = deployment.keySpace.keys(forOrder: order.orderId).order(order.orderId)
                #expect(try cluster.connect(port: port).send(RedisCommand("EXISTS", key)).int == 1, "\(key) on \(port)")
            }
            #expect(port == target || port == to, "partition \(k) on \(port), moved to \(target)")
        }
        try await ClusterAudit(deployment: deployment, placed: placed, clients: clients).expectNothingLostNorDoubled(owner: owner)
    }
}
