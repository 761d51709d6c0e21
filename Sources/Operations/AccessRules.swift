/// A Redis ACL user per daemon (issue 23): who may send which commands to which keys of a
/// deployment under one prefix. `ops/redis/users.acl` is `AccessRules.file(prefix: "baedal")`
/// (`baedalctl acl` prints it for any prefix; a test holds the two equal), `make run ACL=1` and the
/// access-control tests load it.
///
/// Every key pattern is given for both layouts: untagged (`baedal:events:order`, one partition on
/// one Redis or Sentinel) and tagged (`baedal:{3}:events:order`, and the shared catalogue under
/// `baedal:{catalog}:…`), as `PREFIX:<rest>` and `PREFIX:{*}:<rest>`.
///
/// What the Redis ACL cannot express, and so is granted wider than the daemon's code needs:
/// - a consumer group's reader needs write access to the streams it reads (`XREADGROUP`, `XACK`,
///   `XCLAIM` change the group's state), so each worker could also `XADD` to them;
/// - every key a Lua script gets in `KEYS` needs read and write access (`EVALSHA` declares its keys
///   read-write), even one the script only reads: the API's commit reads the order's void mark;
/// - a key permission covers every granted command, so a daemon that reads one hash and writes
///   another of the same pattern may write both.
public enum AccessRules {
    public struct User: Sendable, Equatable {
        public let name: String
        /// A placeholder for `make run ACL=1` and the tests; production sets its own.
        public let password: String
        public let summary: String
        /// Key patterns (prefix included, glob-escaped) the user may read and write.
        public let readWrite: [String]
        /// Key patterns the user may only read (`%R~`).
        public let readOnly: [String]
        /// `+command`, `+command|subcommand` rules (and `+@category` for baedalctl).
        public let commands: [String]

        /// The user's rules after its name, as `ACL SETUSER name …` takes them (and the file's
        /// line holds them): `reset on >password ~… %R~… +…`.
        public var rules: [String] {
            ["reset", "on", ">" + password] + readWrite.map { "~" + $0 } + readOnly.map { "%R~" + $0 } + ["resetchannels"] + commands
        }

        /// `redis://user:password@host:port`.
        public func url(host: String = "127.0.0.1", port: Int) -> String { "redis://\(name):\(password)@\(host):\(port)" }
    }

    /// The placeholder password of a user: never for production.
    public static func placeholderPassword(_ user: String) -> String { "\(user)-placeholder-password" }

    // MARK: Commands

    /// What every daemon sends whatever it does: health, Lua scripts (`EVALSHA`, loaded on
    /// `NOSCRIPT`), `WAIT` when writes must reach replicas, `ROLE` behind Sentinel, the cluster's
    /// topology and `ASKING` on a cluster, and the partition record (`GET`/`SET NX`, `EXISTS`).
    static let connection = ["+ping", "+select", "+role", "+wait", "+asking", "+readonly", "+cluster|slots", "+cluster|shards",
                             "+evalsha", "+eval", "+script|load", "+get", "+set", "+exists", "+type"]

    /// A consumer group's runtime (`Backbone`): reading, claiming, acknowledging, its records
    /// (retry book, watermark, applied ids), dead letters; and the policies' effects.
    static let workerCommands = connection + [
        "+xreadgroup", "+xack", "+xautoclaim", "+xclaim", "+xpending", "+xinfo|groups", "+xinfo|stream", "+xgroup|create", "+xrange", "+xadd",
        "+hget", "+hmget", "+hgetall", "+hexists", "+hset", "+hdel", "+hincrby",
        "+zadd", "+zrem", "+zmscore", "+zremrangebyscore", "+lpush", "+ltrim", "+expireat", "+pexpire",
    ]

    /// A `DeadlinePump`'s script: the due timers, the next one, how many wait.
    static let deadlinePump = ["+zrangebyscore", "+zrange", "+zcard"]

    // MARK: Users

    public static func users(prefix: String = "baedal") -> [User] {
        let p = escapeGlob(prefix)
        /// A key family in both layouts.
        func both(_ rest: String...) -> [String] { rest.flatMap { ["\(p):\($0)", "\(p):{*}:\($0)"] } }
        func streams(_ names: String...) -> [String] { names.flatMap { both("events:\($0)") } }
        let partitions = ["\(p):partitions"]
        /// What an order's commit writes: its hash, its copies on the boards, its deadlines.
        let orderCommits = both("order:*", "store:*:orders", "customer:*:order-copies", "deliveries:*:jobs")
        func records(_ group: String...) -> [String] { group.flatMap { both("retry:\($0)", "group:\($0):*") } + both("dead") + partitions }
        func user(_ name: String, _ summary: String, readWrite: [String], readOnly: [String] = [], commands: [String]) -> User {
            User(name: name, password: placeholderPassword(name), summary: summary, readWrite: readWrite, readOnly: readOnly, commands: commands)
        }
        return [
            user("baedal-api", "orders, their receipts and the boards' copies; reads the catalogue and the views; the console's dead-letter replay",
                 readWrite: both("events:*", "dead", "order:*", "idempotency:order:*", "store:*:orders", "customer:*:order-copies", "deliveries:*:jobs",
                                "deadlines",
                                 // Only read (the commit is blocked once refunds voided the order), but a script's KEYS need write access.
                                 "payment-void:*")
                    + partitions,
                 readOnly: both("stores", "store:*", "customer:*:orders", "customer:*:notifications", "deliveries:*:waiting", "deliveries:*:timings:*",
                                "dashboard:*", "retry:*", "group:*", "flags", "flags:*", "autoscaler"),
                 commands: connection + ["+zadd", "+zrem", "+zcard", "+zrangebyscore", "+hget", "+hmget", "+hgetall", "+hset", "+hdel", "+xadd", "+xdel", "+xrange", "+xrevrange", "+xlen",
                                         "+xinfo|stream", "+xinfo|groups", "+xinfo|consumers", "+xpending", "+zrange", "+zrevrange", "+lrange",
                                         "+smembers", "+pexpire"]),
            user("baedal-payment", "the gateway stand-in's ledger and the payment stream",
                 readWrite: both("payment:*", "payments:by-order", "idempotency:payment:*") + streams("payment") + partitions,
                 commands: connection + ["+hget", "+hmget", "+hset", "+xadd", "+pexpire"]),
            user("baedal-store-inbox", "the owners' boards; the platform's rejection of orders their store did not answer in time",
                 readWrite: streams("order", "store", "deadlines") + both("store:*:board", "deadlines") + orderCommits + records("store-inbox"),
                 commands: workerCommands + deadlinePump),
            user("baedal-payment-refund", "refunds: the void marks and stream, the flags; cancels orders whose payment the gateway cancelled",
                 readWrite: streams("order", "store", "payment-voids", "payment") + both("payment-void:*", "flags", "deadlines") + orderCommits
                    + records("payment-refund"),
                 commands: workerCommands),
            user("baedal-delivery-dispatch", "the delivery stream and the riders' boards; flags cooked orders no rider picked in time",
                 readWrite: streams("order", "store", "delivery", "deadlines") + both("deliveries:*:waiting", "flags", "flags:pickup-overdue", "deadlines")
                    + records("delivery-dispatch"),
                 readOnly: both("order:*"),
                 commands: workerCommands + deadlinePump),
            user("baedal-notification", "the customers' inboxes and the webhook stream; the delivery times promised, to tell a slip",
                 readWrite: streams("order", "store", "delivery", "notify-webhook", "deadlines") + both("customer:*:notifications")
                    + both("estimates:promised", "deadlines") + records("notification", "notification-webhook"),
                 readOnly: both("order:*", "store:*:timings:*", "deliveries:*:timings:*"),
                 commands: workerCommands + ["+zscore", "+lrange"]),
            user("baedal-projector", "the dashboards, my page, the cooking queues, the stages' recent durations",
                 readWrite: streams("order", "store", "delivery") + both("store:*:cooking", "customer:*:orders", "dashboard:*", "store:*:timings:*",
                                                                       "deliveries:*:timings:*") + records("projector"),
                 commands: workerCommands),
            user("baedalctl", "the operator's tool: every key of the deployment, no administrative command but INFO",
                 readWrite: ["\(p):*"],
                 commands: ["+@all", "-@dangerous", "+info", "+role", "+cluster|slots", "+cluster|shards"]),
            user("baedal-autoscaler", "its view; reads the streams' groups and backlog",
                 readWrite: both("autoscaler") + partitions,
                 readOnly: both("events:*"),
                 commands: connection + ["+hset", "+hdel", "+hgetall", "+xinfo|groups", "+xinfo|stream", "+xinfo|consumers", "+xpending", "+xrange"]),
        ]
    }

    /// The ACL file for a prefix: one `user` line per daemon and nothing else, since Redis's ACL
    /// file has no comments (a `#` line aborts the server's start). What the lines mean, and that
    /// the passwords are placeholders, is in docs/operations.md and `baedalctl acl --help`.
    public static func file(prefix: String = "baedal") -> String {
        users(prefix: prefix).map { "user \($0.name) " + $0.rules.joined(separator: " ") + "\n" }.joined()
    }

    /// A prefix as a literal in an ACL glob pattern.
    static func escapeGlob(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
