import Backbone
import Redis

/// The stores and their menus in Redis: `baedal:store:<id>` (a hash with `name`, `region` and
/// `menu` as JSON) and `baedal:stores` (the set of ids).
public struct StoreCatalog: Sendable {
    public let keys: Keys
    public let pool: RedisPool

    public init(keys: Keys, pool: RedisPool) {
        self.keys = keys
        self.pool = pool
    }

    public func key(of storeId: String) -> String { keys.key("store", storeId) }
    public var index: String { keys.key("stores") }

    public func all() async throws -> [Store] {
        let ids = (try await pool.send(RedisCommand("SMEMBERS", index)).array ?? []).compactMap(\.string).sorted()
        guard !ids.isEmpty else { return [] }
        let replies = try await pool.pipeline(ids.map { RedisCommand("HMGET", key(of: $0), "name", "region") })
        return zip(ids, replies).compactMap { id, reply in
            guard let values = reply.array, values.count == 2, let name = values[0].string, let region = values[1].string else { return nil }
            return Store(storeId: id, name: name, region: region)
        }
    }

    public func store(_ storeId: String) async throws -> Store? {
        let values = try await pool.send(RedisCommand("HMGET", key(of: storeId), "name", "region")).array ?? []
        guard values.count == 2, let name = values[0].string, let region = values[1].string else { return nil }
        return Store(storeId: storeId, name: name, region: region)
    }

    /// The store's menu; nil when the store does not exist. A store without a menu has an empty one.
    public func menu(of storeId: String) async throws -> Menu? {
        let values = try await pool.send(RedisCommand("HMGET", key(of: storeId), "name", "menu")).array ?? []
        guard values.count == 2, values[0].string != nil else { return nil }
        guard let text = values[1].string else { return try? Menu(items: []) }
        var items: [MenuItem] = []
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in items = try Menu.readItems(&reader) }
        return try Menu(items: items)
    }

    public func save(_ store: Store) async throws {
        _ = try await pool.pipeline([
            RedisCommand("HSET", key(of: store.storeId), "name", store.name, "region", store.region),
            RedisCommand("SADD", index, store.storeId),
        ])
    }

    /// Replaces the menu of an existing store; false when there is no such store.
    public func replaceMenu(of storeId: String, with menu: Menu) async throws -> Bool {
        let reply = try await pool.send(RedisCommand(
            "EVAL", "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end redis.call('HSET', KEYS[1], 'menu', ARGV[1]) return 1",
            "1", key(of: storeId), menu.itemsJSON))
        return reply.int == 1
    }
}
