/// A pipeline cut into what a cluster client routes as one: a command, or a transaction
/// (`MULTI` … `EXEC`/`DISCARD`, whose commands must all reach one node, adjacent).
enum ClusterPipeline {
    struct Unit: Sendable {
        /// Its commands' positions in the pipeline.
        var range: Range<Int>
        /// The slot of its keys; for a unit without keys, the slot of the keyed unit before it
        /// (else after it), so `WAIT` after a write goes to the node that took the write; nil
        /// when no command of the pipeline has a key (any primary).
        var slot: HashSlot?
        var isTransaction: Bool
    }

    /// The units, every one's keys checked to be in one slot (`crossSlot`) and known (`unroutable`).
    static func units(of commands: [RedisCommand]) throws(RedisError) -> [Unit] {
        var units: [Unit] = []
        var own: [HashSlot?] = []
        var index = 0
        while index < commands.count {
            if commands[index].name.uppercased() == "MULTI" {
                var end = index + 1
                while end < commands.count, !["EXEC", "DISCARD"].contains(commands[end].name.uppercased()) { end += 1 }
                end = min(end + 1, commands.count)
                var keys: [[UInt8]] = []
                for command in commands[index..<end] {
                    switch ClusterKeys.keys(of: command) {
                    case .keys(let more): keys += more
                    case .keyless: break
                    case .unknown: throw .unroutable(command: command.name)
                    }
                }
                units.append(Unit(range: index..<end, slot: nil, isTransaction: true))
                own.append(try ClusterKeys.slot(of: keys, command: "MULTI … EXEC"))
                index = end
            } else {
                units.append(Unit(range: index..<(index + 1), slot: nil, isTransaction: false))
                own.append(try ClusterKeys.slot(of: commands[index]))
                index += 1
            }
        }
        var before: HashSlot?
        for position in units.indices {
            if let slot = own[position] { before = slot }
            units[position].slot = own[position] ?? before
        }
        var after: HashSlot?
        for position in units.indices.reversed() {
            if let slot = own[position] { after = slot }
            if units[position].slot == nil { units[position].slot = after }
        }
        return units
    }
}
