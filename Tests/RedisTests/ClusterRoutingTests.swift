import Redis
import Testing

/// How a cluster's replies are classified: callers (the worker runtime, the API) rely on routing
/// never being `isPermanent`, so a slot that moved never dead-letters a message.
@Suite("Cluster routing replies")
struct ClusterRoutingTests {
    @Test func movedAndAskNameTheirSlotAndNode() {
        #expect(RedisError(errorReply: "MOVED 3999 127.0.0.1:6381") == .routing(.moved(slot: HashSlot(3999)!, to: .init(host: "127.0.0.1", port: 6381)),
                                                                              reply: "MOVED 3999 127.0.0.1:6381"))
        #expect(RedisError(errorReply: "ASK 16383 10.0.0.2:7000").clusterRouting == .ask(slot: HashSlot(16383)!, to: .init(host: "10.0.0.2", port: 7000)))
        // IPv6, bracketed or not, and a node that does not know its own address.
        #expect(RedisError(errorReply: "MOVED 1 ::1:7000").clusterRouting == .moved(slot: HashSlot(1)!, to: .init(host: "::1", port: 7000)))
        #expect(RedisError(errorReply: "MOVED 1 [::1]:7000").clusterRouting == .moved(slot: HashSlot(1)!, to: .init(host: "::1", port: 7000)))
        #expect(RedisError(errorReply: "MOVED 1 :7000").clusterRouting == .moved(slot: HashSlot(1)!, to: .init(host: "", port: 7000)))
        #expect(RedisError(errorReply: "MOVED 1 ?:7000").clusterRouting == .moved(slot: HashSlot(1)!, to: .init(host: "", port: 7000)))
    }

    @Test func waitsAreRoutingToo() {
        #expect(RedisError(errorReply: "TRYAGAIN Multiple keys request during rehashing of slot").clusterRouting == .tryAgain)
        #expect(RedisError(errorReply: "CLUSTERDOWN The cluster is down").clusterRouting == .clusterDown)
        #expect(RedisError(errorReply: "CLUSTERDOWN Hash slot not served").clusterRouting == .clusterDown)
        #expect(RedisError(errorReply: "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)").clusterRouting == .unblocked)
        // LOADING stays what it was (the connection is replaced), and counts as routing.
        #expect(RedisError(errorReply: "LOADING Redis is loading the dataset in memory") == .notPrimary("LOADING Redis is loading the dataset in memory"))
    }

    @Test(arguments: [
        "MOVED 3999 127.0.0.1:6381", "ASK 3999 127.0.0.1:6381", "TRYAGAIN Multiple keys request during rehashing of slot",
        "CLUSTERDOWN The cluster is down", "UNBLOCKED force unblock", "LOADING Redis is loading the dataset in memory",
    ])
    func routingIsNeverPermanent(_ reply: String) {
        let error = RedisError(errorReply: reply)
        #expect(error.isRouting)
        #expect(!error.isPermanent)
        #expect(!error.mayHaveWritten)
        #expect(error.serverCode == String(reply.split(separator: " ")[0]))
        // Also as an error reply kept in a pipeline.
        #expect(RESPValue.error(reply).serverError?.isRouting == true)
    }

    /// Nothing in a reply is trusted: a slot or port out of range is no redirect (and no crash);
    /// it stays a server error, still not permanent.
    @Test(arguments: [
        "MOVED 16384 127.0.0.1:6381", "MOVED -1 127.0.0.1:6381", "MOVED 99999999999999999999 h:1", "MOVED 12 h:0", "MOVED 12 h:70000",
        "MOVED 12 h:-5", "MOVED 12 h", "MOVED 12", "MOVED", "ASK x h:1", "ASK 12 h:1 extra", "MOVED 12 h:99999999999999999999",
    ])
    func malformedRedirectsAreRefused(_ reply: String) {
        let error = RedisError(errorReply: reply)
        #expect(error == .server(reply))
        #expect(error.clusterRouting == nil)
        #expect(!error.isPermanent)
    }

    @Test func programmingMistakesArePermanentAndNotRouting() {
        let crossSlot = RedisError.crossSlot(command: "MGET", keys: ["a", "b"])
        #expect(crossSlot.isPermanent && !crossSlot.isRouting && crossSlot.serverCode == "CROSSSLOT")
        #expect(crossSlot.description.contains("'a'") && crossSlot.description.contains("'b'"))
        #expect(RedisError.unroutable(command: "FROB").isPermanent)
        // Plain server errors are as before.
        #expect(RedisError(errorReply: "WRONGTYPE Operation against a key").isPermanent)
        #expect(!RedisError(errorReply: "NOSCRIPT No matching script").isPermanent)
        #expect(!RedisError(errorReply: "WRONGTYPE x").isRouting)
        #expect(!RedisError.connectionLost(reason: "x").isRouting)
    }
}
