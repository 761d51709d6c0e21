import Contract
import Numbers
import Redis

/// What `baedalctl status` says of orders' deadlines, over every partition: how many wait, how
/// many are due and not yet moved to the deadlines stream (none while a store-inbox or
/// delivery-dispatch instance runs its pump), how late the oldest due one is, and the orders
/// flagged because no rider picked them that no rider has picked since.
struct DeadlineCounts: Sendable, Hashable {
    var waiting = 0
    var due = 0
    /// When the earliest waiting deadline is (was) due, ms since the epoch.
    var earliest: Int64?
    var openPickupFlags = 0

    static func read(_ keySpace: KeySpace, redis: any RedisExecutor, now: Int64) async throws -> DeadlineCounts {
        var counts = DeadlineCounts()
        var commands: [RedisCommand] = []
        for keys in keySpace.all {
            commands += [RedisCommand("ZCARD", keys.deadlines), RedisCommand("ZCOUNT", keys.deadlines, "-inf", String(now)),
                         RedisCommand("ZRANGE", keys.deadlines, "0", "0", "WITHSCORES"), RedisCommand("ZCARD", keys.openPickupFlags)]
        }
        let replies = try await redis.pipeline(commands)
        var index = 0
        while index + 3 < replies.count {
            counts.waiting = counts.waiting.clampedAdding(max(0, replies[index].int ?? 0))
            counts.due = counts.due.clampedAdding(max(0, replies[index + 1].int ?? 0))
            if let due = replies[index + 2].array?.last?.milliseconds { counts.earliest = min(counts.earliest ?? due, due) }
            counts.openPickupFlags = counts.openPickupFlags.clampedAdding(max(0, replies[index + 3].int ?? 0))
            index += 4
        }
        return counts
    }

    /// One line for the status table.
    func line(now: Int64) -> String {
        guard waiting > 0 else { return "deadlines: none waiting" + flagsText }
        guard let earliest else { return "deadlines: \(waiting) waiting" + flagsText }
        let (gap, overflow) = now.subtractingReportingOverflow(earliest)
        let distance = humanDuration(milliseconds: overflow ? Int.max : Int(clamping: gap.magnitude))
        if due > 0 && gap > 0 {
            return "deadlines: \(waiting) waiting, \(due) due and not yet told (the oldest \(distance) late: "
                + "is a store-inbox or delivery-dispatch instance running?)" + flagsText
        }
        return "deadlines: \(waiting) waiting, none due (the next in \(distance))" + flagsText
    }

    /// How late the oldest due deadline is, ms (0 when none is due).
    func lateness(now: Int64) -> Int64 {
        guard due > 0, let earliest, now > earliest else { return 0 }
        return now.clampedSubtracting(earliest)
    }

    private var flagsText: String {
        openPickupFlags == 0 ? "" : "; \(openPickupFlags) cooked order\(openPickupFlags == 1 ? "" : "s") flagged and still not picked"
    }
}
