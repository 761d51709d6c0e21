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

    @Test(arguments: [
        "http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", "redis://h:port", "redis://h:0",
        "redis://h:70000", "redis://h/db", "redis://h/-1", "redis://:%zz@h", "redis://[::1",
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
