import Redis
import Testing

@Suite("Redis URLs")
struct RedisURLTests {
    @Test func defaultsForHostOnly() throws {
        let configuration = try RedisConfiguration(url: "redis://127.0.0.1")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6379)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
    }

    @Test func everyPart() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:s%3Acret%40x@cache.internal:6380/3")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "alice")
        #expect(configuration.password == "s:cret@x")
        #expect(configuration.database == 3)
    }

    @Test func passwordOnlyForms() throws {
        #expect(try RedisConfiguration(url: "redis://:secret@h:1").password == "secret")
        #expect(try RedisConfiguration(url: "redis://:secret@h:1").username == nil)
        #expect(try RedisConfiguration(url: "redis://secret@h").password == "secret")
    }

    @Test func ipv6AndTrailingSlash() throws {
        let configuration = try RedisConfiguration(url: "redis://[::1]:7000/")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 7000)
        #expect(configuration.database == 0)
    }

    @Test func descriptionHidesThePassword() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:hunter2@h:6379/2")
        #expect(configuration.description == "redis://alice:***@h:6379/2")
        #expect(!configuration.description.contains("hunter2"))
    }

    @Test func sentinelURLsNameEverySentinelAndTheGroup() throws {
        let configuration = try RedisConfiguration(url: "redis-sentinel://alice:s%40cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/baedal/2")
        let sentinel = try #require(configuration.sentinel)
        #expect(sentinel.masterName == "baedal")
        #expect(sentinel.endpoints == [.init(host: "10.0.0.1", port: 26379), .init(host: "10.0.0.2", port: 26379), .init(host: "::1", port: 26380)])
        #expect(configuration.username == "alice")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == 2)
        #expect(configuration.description == "redis-sentinel://alice:***@10.0.0.1:26379,10.0.0.2:26379,[::1]:26380/baedal/2")
        // The login and database go with the primary it resolves to.
        let primary = configuration.at(.init(host: "10.0.0.9", port: 6379))
        #expect(primary.sentinel == nil && primary.host == "10.0.0.9" && primary.password == "s@cret" && primary.database == 2)
        #expect(try RedisConfiguration(url: "redis-sentinel://h:1/g").database == 0)
        #expect(try RedisConfiguration(url: "redis://h:1").sentinel == nil)
    }

    @Test(arguments: [
        "http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", "redis://h:port", "redis://h:0",
        "redis://h:70000", "redis://h/db", "redis://h/-1", "redis://:%zz@h", "redis://[::1",
        "redis-sentinel://h:26379", "redis-sentinel://h:26379/", "redis-sentinel://h:26379,/g", "redis-sentinel://h:x/g",
        "redis-sentinel:///g", "redis-sentinel://h:26379/g/x", "redis-sentinel://h:26379/g/1/2", "redis://a:1,b:2/0",
    ])
    func rejects(_ url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        do {
            _ = try RedisConfiguration(url: url)
        } catch {
            guard case .invalidURL(let reported, let reason) = error else {
                Issue.record("expected invalidURL, got \(error)")
                return
            }
            #expect(reported == url)
            #expect(!reason.isEmpty)
        }
    }
}
