import Contract
import JSON
import Redis
import Stores

/// The stores and their menus in Redis: `baedal:store:<id>` (a hash with `name`, `region` and
/// `menu` as JSON) and `baedal:stores` (the set of ids).
public struct RedisStoreCatalog: StoreCatalog {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    func key(of storeId: String) -> String { keys.store(storeId) }
    var index: String { keys.stores }

    public func all() async throws -> [Store] {
        let ids = (try await redis.send(RedisCommand("SMEMBERS", index)).array ?? []).compactMap(\.string).sorted()
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(ids.map { RedisCommand("HMGET", key(of: $0), "name", "region", "address") })
        return zip(ids, replies).compactMap { id, reply in Self.store(id, reply) }
    }

    public func store(_ storeId: String) async throws -> Store? {
        Self.store(storeId, try await redis.send(RedisCommand("HMGET", key(of: storeId), "name", "region", "address")))
    }

    /// Several stores in one round trip (absent ones are left out), by id.
    public func stores(_ storeIds: Set<String>) async throws -> [String: Store] {
        let ids = Array(storeIds)
        guard !ids.isEmpty else { return [:] }
        let replies = try await redis.pipeline(ids.map { RedisCommand("HMGET", key(of: $0), "name", "region", "address") })
        var stores: [String: Store] = [:]
        for (id, reply) in zip(ids, replies) { stores[id] = Self.store(id, reply) }
        return stores
    }

    private static func store(_ id: String, _ reply: RESPValue) -> Store? {
        guard let values = reply.array, values.count == 3, let name = values[0].string, let region = values[1].string else { return nil }
        return Store(storeId: id, name: name, region: region, address: values[2].string)
    }

    /// The store's menu; nil when the store does not exist. A store without a menu has an empty one.
    public func menu(of storeId: String) async throws -> Menu? {
        let values = try await redis.send(RedisCommand("HMGET", key(of: storeId), "name", "menu")).array ?? []
        guard values.count == 2, values[0].string != nil else { return nil }
        guard let text = values[1].string else { return try? Menu(items: []) }
        var items: [MenuItem] = []
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in items = try Menu.readItems(&reader) }
        return try Menu(items: items)
    }

    /// Creates or updates the store and lists it, in one step: both or neither (a key of the wrong
    /// type refuses the whole save, and the error reaches the caller).
    public func save(_ store: Store) async throws {
        var arguments = RedisCommand([store.storeId, store.name, store.region])
        if let address = store.address { arguments.append(address) }
        _ = try await redis.run(Self.saveScript, keys: [key(of: store.storeId), index], arguments: arguments)
    }

    /// Replaces the menu of an existing store; false when there is no such store.
    public func replaceMenu(of storeId: String, with menu: Menu) async throws -> Bool {
        try await redis.run(Self.menuScript, keys: [key(of: storeId)], arguments: RedisCommand([menu.itemsJSON])).int == 1
    }

    static let saveScript = RedisScript(source: #"""
    -- KEYS: the store's hash, the index of stores; ARGV: storeId name region [address]
    for _, pair in ipairs({ { KEYS[1], 'hash' }, { KEYS[2], 'set' } }) do
      local actual = redis.call('TYPE', pair[1]).ok
      if actual ~= 'none' and actual ~= pair[2] then
        return redis.error_reply('WRONGTYPE ' .. pair[1] .. ' is a ' .. actual .. ', expected a ' .. pair[2])
      end
    end
    redis.call('HSET', KEYS[1], 'name', ARGV[2], 'region', ARGV[3])
    if ARGV[4] then redis.call('HSET', KEYS[1], 'address', ARGV[4]) else redis.call('HDEL', KEYS[1], 'address') end
    redis.call('SADD', KEYS[2], ARGV[1])
    return 1
    """#)

    static let menuScript = RedisScript(source: #"""
    -- KEYS: the store's hash; ARGV: the menu's JSON
    if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
    redis.call('HSET', KEYS[1], 'menu', ARGV[1])
    return 1
    """#)
}
