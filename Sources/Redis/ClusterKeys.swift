/// Which arguments of a command are keys: what a cluster client routes by. Redis knows this for
/// every command (`COMMAND GETKEYS`), but asking costs a round trip per command; this table
/// holds the commands this code base sends and their usual neighbours. A command missing here is
/// refused (`RedisError.unroutable`) rather than sent to a node at random: add it to the table.
public enum ClusterKeys {
    /// The keys of one command.
    public enum Keys: Sendable, Hashable {
        /// It names no key (`PING`, `INFO`, `WAIT`, `SCRIPT LOAD`, `EVAL` with no keys): any
        /// primary may run it, or the one the caller chooses.
        case keyless
        /// These arguments are keys (at least one).
        case keys([[UInt8]])
        /// The table does not know the command.
        case unknown
    }

    /// The keys of a command, by its name (and subcommand).
    public static func keys(of command: RedisCommand) -> Keys {
        guard command.count > 0 else { return .unknown }
        let name = word(command, 0)
        let arguments = command.count
        func key(at index: Int) -> Keys { index < arguments ? .keys([Array(command[index])]) : .keyless }
        // Arguments lower ..< upper, within the command (no range is built backwards).
        func keys(from lower: Int, to upper: Int) -> Keys {
            let lower = max(lower, 1)
            let upper = min(upper, arguments)
            guard lower < upper else { return .keyless }
            return .keys((lower..<upper).map { Array(command[$0]) })
        }
        if singleKey.contains(name) { return key(at: 1) }
        if everyArgument.contains(name) { return keys(from: 1, to: arguments) }
        if keyless.contains(name) { return .keyless }
        switch name {
        case "MSET", "MSETNX":
            return .keys(stride(from: 1, to: arguments, by: 2).map { Array(command[$0]) })
        case "RENAME", "RENAMENX", "RPOPLPUSH", "LMOVE", "BLMOVE", "SMOVE", "COPY":
            return keys(from: 1, to: 3)
        case "BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX", "BRPOPLPUSH":
            return keys(from: 1, to: arguments - 1)
        case "XINFO":
            // XINFO STREAM|GROUPS|CONSUMERS key …; XINFO HELP names none.
            return arguments > 2 && ["STREAM", "GROUPS", "CONSUMERS"].contains(word(command, 1)) ? key(at: 2) : .keyless
        case "XGROUP":
            return arguments > 2 && ["CREATE", "DESTROY", "SETID", "CREATECONSUMER", "DELCONSUMER"].contains(word(command, 1)) ? key(at: 2) : .keyless
        case "OBJECT":
            return arguments > 2 && ["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"].contains(word(command, 1)) ? key(at: 2) : .keyless
        case "MEMORY":
            return arguments > 2 && word(command, 1) == "USAGE" ? key(at: 2) : .keyless
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            // script numkeys key… arg…: a numkeys Redis would refuse is left for Redis to refuse.
            guard arguments > 2, let count = Int(String(decoding: command[2], as: UTF8.self)), count >= 0, count <= arguments - 3 else { return .keyless }
            return keys(from: 3, to: 3 + count)
        case "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE":
            // destination numkeys key…
            guard arguments > 3, let count = Int(String(decoding: command[2], as: UTF8.self)), count >= 0, count <= arguments - 3 else { return key(at: 1) }
            return .keys([Array(command[1])] + (3..<(3 + count)).map { Array(command[$0]) })
        case "XREAD", "XREADGROUP":
            return streamKeys(command, name: name)
        default:
            return .unknown
        }
    }

    /// The one slot of every key of the command; nil when it names no key. Throws `crossSlot`
    /// when its keys are in different slots (Redis would answer `CROSSSLOT`) and `unroutable`
    /// for a command the table does not know.
    public static func slot(of command: RedisCommand) throws(RedisError) -> HashSlot? {
        switch keys(of: command) {
        case .keyless: return nil
        case .unknown: throw .unroutable(command: command.name)
        case .keys(let keys): return try slot(of: keys, command: command.name)
        }
    }

    /// The one slot of these keys (nil for none); `crossSlot` when they are in several.
    public static func slot(of keys: [[UInt8]], command: String) throws(RedisError) -> HashSlot? {
        guard let first = keys.first else { return nil }
        let slot = HashSlot(key: first)
        for key in keys.dropFirst() where HashSlot(key: key) != slot {
            throw .crossSlot(command: command, keys: keys.map { String(decoding: $0, as: UTF8.self) })
        }
        return slot
    }

    /// `XREAD [COUNT n] [BLOCK ms] STREAMS key… id…` and `XREADGROUP GROUP g c [COUNT n]
    /// [BLOCK ms] [NOACK] STREAMS key… id…`: the first half of what follows `STREAMS`. The
    /// options are stepped over by position, so a group or consumer named `STREAMS` is no trap.
    private static func streamKeys(_ command: RedisCommand, name: String) -> Keys {
        var index = name == "XREADGROUP" ? 4 : 1
        while index < command.count {
            switch word(command, index) {
            case "COUNT", "BLOCK": index += 2
            case "NOACK": index += 1
            case "STREAMS":
                let rest = command.count - index - 1
                guard rest > 0, rest % 2 == 0 else { return .unknown }
                return .keys(((index + 1)..<(index + 1 + rest / 2)).map { Array(command[$0]) })
            default: return .unknown
            }
        }
        return .unknown
    }

    /// An argument as an upper-case word (command and option names are case-insensitive).
    private static func word(_ command: RedisCommand, _ index: Int) -> String {
        let bytes = command[index]
        guard bytes.count <= 32 else { return "" }
        return String(decoding: bytes, as: UTF8.self).uppercased()
    }

    /// Commands whose first argument is their one key.
    static let singleKey: Set<String> = [
        // strings and keys
        "GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "INCR", "INCRBY", "INCRBYFLOAT", "DECR", "DECRBY",
        "APPEND", "STRLEN", "GETRANGE", "SETRANGE", "SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITFIELD", "TYPE", "EXPIRE", "PEXPIRE",
        "EXPIREAT", "PEXPIREAT", "EXPIRETIME", "PEXPIRETIME", "TTL", "PTTL", "PERSIST", "DUMP", "RESTORE", "PFADD",
        // hashes
        "HGET", "HGETALL", "HSET", "HSETNX", "HMSET", "HDEL", "HINCRBY", "HINCRBYFLOAT", "HLEN", "HMGET", "HEXISTS", "HKEYS", "HVALS",
        "HSCAN", "HSTRLEN", "HRANDFIELD",
        // sorted sets
        "ZADD", "ZREM", "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZRANK", "ZREVRANK",
        "ZCARD", "ZSCORE", "ZMSCORE", "ZINCRBY", "ZCOUNT", "ZLEXCOUNT", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK", "ZREMRANGEBYLEX",
        "ZPOPMIN", "ZPOPMAX", "ZSCAN", "ZRANDMEMBER",
        // lists
        "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LRANGE", "LLEN", "LINDEX", "LSET", "LREM", "LTRIM", "LINSERT", "LPOS",
        // sets
        "SADD", "SREM", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SPOP", "SRANDMEMBER", "SSCAN",
        // streams
        "XADD", "XRANGE", "XREVRANGE", "XLEN", "XDEL", "XTRIM", "XACK", "XCLAIM", "XAUTOCLAIM", "XPENDING", "XSETID",
    ]

    /// Commands whose every argument is a key.
    static let everyArgument: Set<String> = [
        "DEL", "UNLINK", "EXISTS", "TOUCH", "MGET", "WATCH", "PFCOUNT", "PFMERGE", "SINTER", "SUNION", "SDIFF", "SINTERSTORE",
        "SUNIONSTORE", "SDIFFSTORE",
    ]

    /// Commands that name no key. (`SCAN` and `KEYS` see one node's keys only: send them to
    /// each primary.)
    static let keyless: Set<String> = [
        "PING", "ECHO", "INFO", "ROLE", "WAIT", "CONFIG", "CLUSTER", "SCRIPT", "CLIENT", "TIME", "DBSIZE", "FLUSHALL", "FLUSHDB",
        "COMMAND", "ACL", "SLOWLOG", "LATENCY", "DEBUG", "READONLY", "READWRITE", "ASKING", "AUTH", "HELLO", "SELECT", "SCAN", "KEYS",
        "RANDOMKEY", "LASTSAVE", "FUNCTION", "PUBLISH", "MULTI", "EXEC", "DISCARD", "UNWATCH", "SAVE", "BGSAVE", "BGREWRITEAOF",
        "SWAPDB", "REPLICAOF", "SLAVEOF", "FAILOVER", "SHUTDOWN", "QUIT", "RESET", "SENTINEL", "MODULE", "LOLWUT", "MONITOR",
    ]
}
