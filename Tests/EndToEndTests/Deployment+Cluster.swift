import Contract
import Foundation
import Redis
import TestSupport

/// A deployment on a Redis Cluster: what the tests look at directly, node by node. Every read
/// goes to the primary that serves its key's slot now (asked afresh, so it follows a failover or
/// a reshard), with no routing of the client's: the test checks the client, it does not use it.
extension Deployment {
    static let clusterPartitions = 16

    /// Every process on `redis-cluster://` with `clusterPartitions` partitions.
    static func onCluster(_ cluster: RedisClusterServers, workers: [String] = Deployment.policies,
                          environment: [String: String] = [:]) async throws -> Deployment {
        try await Deployment(workers: workers, cluster: cluster,
                             environment: ["BAEDAL_PARTITIONS": String(clusterPartitions)].merging(environment) { $1 })
    }

    /// The hash slot of partition `k` (its tag `{k}`).
    func slot(ofPartition k: Int) -> HashSlot { HashSlot(key: keySpace.keys(ofPartition: k).stream(.order)) }

    /// The hash slot of an order's keys.
    func slot(ofOrder orderId: String) -> HashSlot { slot(ofPartition: keySpace.partition(of: orderId)) }

    /// The port of the primary that serves an order's partition now.
    func primaryPort(ofOrder orderId: String) throws -> Int {
        try requireCluster().primaryPort(servingSlot: slot(ofOrder: orderId))
    }

    /// One command to the primary of its first key's slot.
    func clusterCommand(_ arguments: [String]) throws -> RESPValue {
        let cluster = try requireCluster()
        guard arguments.count > 1 else { throw TestFailure("\(arguments): no key to route by") }
        let port = try cluster.primaryPort(servingSlot: HashSlot(key: arguments[1]))
        return try cluster.connect(port: port).send(RedisCommand(arguments))
    }

    func clusterCommand(_ arguments: String...) throws -> RESPValue { try clusterCommand(arguments) }

    /// Every entry of a stream on every partition, as its type and order.
    func clusterEvents(_ name: StreamName) throws -> [(type: String, orderId: String)] {
        try keySpace.all.flatMap { keys in
            (try clusterCommand("XRANGE", keys.stream(name), "-", "+").array ?? []).compactMap { entry in
                let fields = (entry.array?.last ?? .null).fields
                guard let type = fields["type"]?.string, let orderId = fields["orderId"]?.string else { return nil }
                return (type, orderId)
            }
        }
    }

    /// A dashboard as the sum of its parts, read from every partition's hash.
    func dashboardParts(_ board: Keys.Dashboard) throws -> [String: Int] {
        var sum: [String: Int] = [:]
        for keys in keySpace.all {
            for (field, value) in try clusterCommand("HGETALL", keys.dashboard(board)).fields {
                sum[field, default: 0] += Int(value.string ?? "") ?? 0
            }
        }
        return sum
    }

    /// The dead letters of every partition.
    func deadLetterCount() throws -> Int {
        try keySpace.all.reduce(0) { $0 + (try clusterCommand("XLEN", $1.dead).int ?? 0) }
    }

    /// How many statuses of each order a customer's inbox holds, from every partition's part.
    func inboxStatuses(of customerId: String) throws -> [String: [String]] {
        var statuses: [String: [String]] = [:]
        for keys in keySpace.all {
            for member in try clusterCommand("ZRANGE", keys.inbox(customerId), "0", "-1").strings {
                guard let message = (try? JSONSerialization.jsonObject(with: Data(member.utf8))) as? [String: Any],
                      let orderId = message["orderId"] as? String, let status = message["status"] as? String else { continue }
                statuses[orderId, default: []].append(status)
            }
        }
        return statuses
    }

    /// The API, the gateway and every worker started.
    var processes: [BaedalProcess] { [api, payment].compactMap { $0 } + workers.values.flatMap { $0 } }

    private func requireCluster() throws -> RedisClusterServers {
        guard let cluster else { throw TestFailure("not a deployment on a Redis Cluster") }
        return cluster
    }
}
