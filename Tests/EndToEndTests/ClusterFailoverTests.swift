import Foundation
import Redis
import Synchronization
import Testing
import TestSupport

/// Issue 21: a primary of the cluster SIGKILLed while orders flow. Its replica is promoted (the
/// nodes say so), the killed node is started again and rejoins as its replica; every process
/// follows without a restart.
@Suite("Redis Cluster failover", .serialized)
struct ClusterFailoverTests {
    /// Whose primary is killed: partition 0's, or the catalogue's (stores and menus, read by every
    /// placement: while it fails over no order can be placed, on any partition).
    enum Victim: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case partitionZero = "partition 0's primary"
        case catalogue = "the catalogue's primary"

        var testDescription: String { rawValue }

        func slot(in deployment: Deployment) -> HashSlot {
            switch self {
            case .partitionZero: deployment.slot(ofPartition: 0)
            case .catalogue: HashSlot(key: deployment.keySpace.shared.stores)
            }
        }
    }

    @Test(arguments: Victim.allCases)
    func aPrimaryKilledUnderLoadLosesNoAcknowledgedOrderAndHandlesNoEventTwice(_ whose: Victim) async throws {
        let cluster = try RedisClusterServers()
        defer { cluster.stop() }
        let deployment = try await Deployment.onCluster(cluster)
        let owner = try await deployment.owner(of: "s-gangnam-chicken")
        let load = FailoverTests.Load()
        let clients = 4
        async let loading: Void = FailoverTests().run(load, deployment, clients: clients, owner: owner)

        // The primary is killed once orders are being taken; its partitions are every partition
        // whose slot it serves.
        #expect(await eventually(seconds: 30) { load.taken(after: .distantPast) >= 20 }, "20 orders taken before the kill\n\(deployment.logs)")
        let slot = whose.slot(in: deployment)
        let map = try cluster.slotMap()
        let victim = try #require(map.primary(for: slot)?.port)
        let itsPartitions = (0..<Deployment.clusterPartitions).filter { map.primary(for: deployment.slot(ofPartition: $0))?.port == victim }
        func takenOnItsPartitions() -> Int {
            load.placed.withLock { $0 }.filter { itsPartitions.contains(deployment.keySpace.partition(of: $0.orderId)) }.count
        }
        let killedAt = Date()
        try cluster.killPrimary(servingSlot: slot)

        // The fact: every running node names another primary for those slots and says ok.
        let promoted = try await offThePool { try cluster.waitForFailover(of: victim, slot: slot) }
        let promotedAt = Date()
        let nodes = try cluster.connect(port: promoted).send(RedisCommand("CLUSTER", "NODES")).string ?? ""
        #expect(nodes.split(separator: "\n").contains { $0.contains(":\(promoted)@") && $0.contains("master") }, "\(nodes)")
        #expect(nodes.split(separator: "\n").contains { $0.contains(":\(victim)@") && $0.contains("fail") }, "\(nodes)")

        // The promoted replica has no replica of its own: a placement on its partitions cannot be
        // confirmed replicated (BAEDAL_MIN_REPLICAS 1) and is answered 503, to be retried.
        #expect(await eventually(seconds: 15) { load.refusals.withLock { $0.contains { $0.0 > promotedAt && $0.1 == 503 } } },
                "a 503 while the promoted primary has no replica\n\(deployment.logs)")
        // The killed node comes back as the promoted one's replica: its partitions' writes are
        // replicated again, and orders are taken on them with the keys refused meanwhile.
        try await offThePool { try cluster.restart(port: victim) }
        let rejoinedAt = Date()
        let before = takenOnItsPartitions()
        #expect(await eventually(seconds: 30) { takenOnItsPartitions() >= before + 5 },
                "orders taken on the failed-over partitions \(itsPartitions) after the rejoin\n\(deployment.logs)")
        #expect(await eventually(seconds: 30) { load.taken(after: rejoinedAt) >= 20 }, "orders flow after the rejoin")
        let resumedAt = Date()
        load.stop()
        await loading

        let successes = load.successes.withLock { $0 }.sorted()
        let refused = zip(successes, successes.dropFirst()).filter { $0.1 > killedAt }.map { $0.1.timeIntervalSince($0.0) }.max() ?? 0
        let placed = load.placed.withLock { $0 }
        print("""
            cluster failover: \(whose.rawValue) \(victim) (partitions \(itsPartitions)) killed; replica \(promoted) promoted after \
            \(Int(promotedAt.timeIntervalSince(killedAt) * 1000)) ms, old primary rejoined after \(Int(rejoinedAt.timeIntervalSince(killedAt) * 1000)) ms, \
            its partitions taking orders again after \(Int(resumedAt.timeIntervalSince(killedAt) * 1000)) ms at most; longest stretch without a 201: \
            \(Int(refused * 1000)) ms; \(placed.count) orders placed, \(load.refusals.withLock { $0.count }) answers retried
            """)
        #expect(placed.count > 40)
        let statuses = Set(load.refusals.withLock { $0.map(\.1) })
        #expect(statuses.isSubset(of: [503]), "refused only with 503, which a retry with the same key fixes: \(statuses)")
        try await ClusterAudit(deployment: deployment, placed: placed, clients: clients).expectNothingLostNorDoubled(owner: owner)
        #expect(try cluster.primaryPort(servingSlot: slot) == promoted, "the slots stay with the promoted replica")
    }
}
