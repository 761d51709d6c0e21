import Redis
import TestSupport

/// One slot moved between primaries by hand, as Redis's cluster tutorial does it (and as
/// `redis-cli --cluster reshard` does for each slot): importing on the target, migrating on the
/// source, its keys moved a few at a time with `MIGRATE` (while the slot is half moved, clients
/// get `ASK`, and a script whose keys are split gets `TRYAGAIN`), then the slot given to the
/// target on every primary.
enum SlotMove {
    /// Moves the slot's keys, `batch` per `MIGRATE`, and waits until every node agrees.
    static func move(_ slot: HashSlot, to target: Int, in cluster: RedisClusterServers, batch: Int = 2) throws {
        let source = try cluster.primaryPort(servingSlot: slot)
        precondition(source != target, "slot \(slot) is on \(target) already")
        let sourceID = try cluster.nodeID(port: source)
        let targetID = try cluster.nodeID(port: target)
        let slotName = String(slot.value)
        let from = try cluster.connect(port: source)
        _ = try cluster.connect(port: target).send(RedisCommand("CLUSTER", "SETSLOT", slotName, "IMPORTING", sourceID))
        _ = try from.send(RedisCommand("CLUSTER", "SETSLOT", slotName, "MIGRATING", targetID))
        while true {
            let keys = try from.send(RedisCommand("CLUSTER", "GETKEYSINSLOT", slotName, String(batch))).strings
            if keys.isEmpty { break }
            _ = try from.send(RedisCommand(["MIGRATE", "127.0.0.1", String(target), "", "0", "5000", "KEYS"] + keys))
        }
        for port in [target, source] + (try cluster.primaryPorts()).filter({ $0 != target && $0 != source }) {
            _ = try cluster.connect(port: port).send(RedisCommand("CLUSTER", "SETSLOT", slotName, "NODE", targetID))
        }
        try cluster.waitUntilAgreed()
    }
}
