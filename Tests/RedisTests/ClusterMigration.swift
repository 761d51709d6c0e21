import Redis
import TestSupport

/// A slot migration made by hand, step by step as Redis's cluster tutorial does it, so a test
/// can stop half-way (some keys moved, some not) and see `ASK` and `TRYAGAIN`.
struct ClusterMigration {
    let cluster: RedisClusterServers
    let slot: HashSlot
    let source: Int
    let target: Int

    /// Marks the slot importing on the target and migrating on the source.
    init(_ cluster: RedisClusterServers, slot: HashSlot, to target: Int) throws {
        self.cluster = cluster
        self.slot = slot
        self.source = try cluster.primaryPort(servingSlot: slot)
        self.target = target
        precondition(source != target, "the slot is on the target already")
        _ = try cluster.connect(port: target).send(RedisCommand("CLUSTER", "SETSLOT", String(slot.value), "IMPORTING", try cluster.nodeID(port: source)))
        _ = try cluster.connect(port: source).send(RedisCommand("CLUSTER", "SETSLOT", String(slot.value), "MIGRATING", try cluster.nodeID(port: target)))
    }

    /// Moves these keys (and only these) to the target.
    func move(_ keys: [String]) throws {
        _ = try cluster.connect(port: source).send(RedisCommand(["MIGRATE", "127.0.0.1", String(target), "", "0", "5000", "KEYS"] + keys))
    }

    /// Moves the slot's remaining keys and gives the slot to the target on every primary, then
    /// waits until every node agrees.
    func finish() throws {
        let source = try cluster.connect(port: self.source)
        while true {
            let keys = try source.send(RedisCommand("CLUSTER", "GETKEYSINSLOT", String(slot.value), "100")).strings
            if keys.isEmpty { break }
            try move(keys)
        }
        let targetID = try cluster.nodeID(port: target)
        for port in [target, self.source] + (try cluster.primaryPorts()).filter({ $0 != target && $0 != self.source }) {
            _ = try cluster.connect(port: port).send(RedisCommand("CLUSTER", "SETSLOT", String(slot.value), "NODE", targetID))
        }
        try cluster.waitUntilAgreed()
    }
}

/// How many times a node has answered with this error code (`INFO errorstats`): a fact to wait
/// on, and proof that a reply was seen.
func errorCount(_ code: String, cluster: RedisClusterServers, port: Int) throws -> Int {
    let info = try cluster.connect(port: port).send(RedisCommand("INFO", "errorstats")).string ?? ""
    for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("errorstat_\(code):count=") {
        return Int(line.dropFirst("errorstat_\(code):count=".count).prefix { $0.isNumber }) ?? 0
    }
    return 0
}

/// `count` keys named `prefix{n}` whose slots satisfy `where` (slots chosen by the test).
func keys(_ count: Int, prefix: String, where condition: (HashSlot) -> Bool) -> [String] {
    var found: [String] = []
    var index = 0
    while found.count < count {
        let key = "\(prefix){\(index)}"
        if condition(HashSlot(key: key)) { found.append(key) }
        index += 1
    }
    return found
}

/// The contract's partition keys: `baedal:{k}:name`.
func partitionKey(_ partition: Int, _ name: String = "events:order") -> String { "baedal:{\(partition)}:\(name)" }
