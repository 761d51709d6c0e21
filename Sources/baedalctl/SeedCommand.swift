import ArgumentParser
import Backbone
import Contract
import Redis
import RedisAdapters
import Stores

/// `baedalctl seed`: demo stores and menus (three stores in two regions), for `make run`.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Create the demo stores and their menus (leaves existing stores alone unless --force)."
    )

    @Flag(help: "overwrite the demo stores' names and menus if they exist")
    var force = false

    static let demo: [(Store, [MenuItem])] = [
        (Store(storeId: "s-gangnam-chicken", name: "강남 치킨", region: "gangnam", address: "서울 강남구 테헤란로 101"), [
            MenuItem(foodId: "fried-chicken", name: "후라이드 치킨", price: 18_000),
            MenuItem(foodId: "seasoned-chicken", name: "양념 치킨", price: 19_000),
            MenuItem(foodId: "cola", name: "콜라 1.25L", price: 2_500),
        ]),
        (Store(storeId: "s-gangnam-bunsik", name: "강남 분식", region: "gangnam", address: "서울 강남구 강남대로 396"), [
            MenuItem(foodId: "tteokbokki", name: "떡볶이", price: 5_000),
            MenuItem(foodId: "gimbap", name: "김밥", price: 3_500),
            MenuItem(foodId: "sundae", name: "순대", price: 4_500),
        ]),
        (Store(storeId: "s-mapo-jjajang", name: "마포 중화반점", region: "mapo", address: "서울 마포구 양화로 45"), [
            MenuItem(foodId: "jjajangmyeon", name: "짜장면", price: 7_000),
            MenuItem(foodId: "jjamppong", name: "짬뽕", price: 8_500),
            MenuItem(foodId: "tangsuyuk", name: "탕수육", price: 16_000),
        ]),
    ]

    func run() async throws {
        try await Deployment.with { deployment in
            // The catalogue is shared by every partition (`KeySpace.shared`); on a cluster the
            // executor routes each key to its slot's primary.
            let catalog = RedisStoreCatalog(keys: deployment.keySpace.shared, redis: deployment.redis)
            for (store, items) in Self.demo {
                if !force, try await catalog.store(store.storeId) != nil {
                    print("kept    \(store.storeId) (exists)")
                    continue
                }
                try await catalog.save(store)
                _ = try await catalog.replaceMenu(of: store.storeId, with: try Menu(items: items))
                print("seeded  \(store.storeId)  \(store.name)  region=\(store.region)  \(items.count) dishes")
            }
        }
    }
}
