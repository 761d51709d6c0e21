import Application
import Contract
import HTTPServer
import Hummingbird
import JSON
import Orders
import Stores

/// `GET /stores`, `PUT /stores/{id}`, `GET|PUT /stores/{id}/menu`, and the owner's board
/// `GET /stores/{id}/orders`.
struct StoresController: Sendable {
    let baedal: Baedal
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/stores") { _, _ in try await list() }
        router.put("/stores/:storeId") { request, context in try await save(request, context) }
        router.get("/stores/:storeId/menu") { _, context in try await menu(context) }
        router.put("/stores/:storeId/menu") { request, context in try await replaceMenu(request, context) }
        router.get("/stores/:storeId/orders") { request, context in try await board(request, context) }
    }

    func list() async throws -> Response {
        var json = JSONWriter()
        json.array(try await baedal.queries.stores()) { json, store in Self.write(store, into: &json) }
        return JSONBody.response(json.text)
    }

    func save(_ request: Request, _ context: BaedalContext) async throws -> Response {
        let owner = try await auth.actor(request, in: .owner)
        let storeId = try context.parameters.id("storeId")
        let (name, region, address) = try await JSONBody.read(request) { reader throws(JSONReader.Failure) in
            var name: String?, region: String?, address: String?
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "name": name = try reader.readString()
                case "region": region = try reader.readString()
                case "address": address = try reader.readString()
                default: try reader.skipValue()
                }
            }
            return (try JSONReader.required(name, "name", in: reader), try JSONReader.required(region, "region", in: reader), address)
        }
        let store = try await baedal.commands.saveStore(storeId, name: name, region: region, address: address, by: owner)
        context.logger.info("store saved", metadata: ["storeId": "\(storeId)", "region": "\(region)"])
        var json = JSONWriter()
        Self.write(store, into: &json)
        return JSONBody.response(json.text)
    }

    /// `{"storeId","name","region","address"?}`.
    static func write(_ store: Store, into json: inout JSONWriter) {
        json.object { json in
            json.field("storeId", store.storeId)
            json.field("name", store.name)
            json.field("region", store.region)
            if let address = store.address { json.field("address", address) }
        }
    }

    func menu(_ context: BaedalContext) async throws -> Response {
        let storeId = try context.parameters.id("storeId")
        return JSONBody.response(Self.menuJSON(storeId: storeId, try await baedal.queries.menu(storeId)))
    }

    func replaceMenu(_ request: Request, _ context: BaedalContext) async throws -> Response {
        let owner = try await auth.actor(request, in: .owner)
        let storeId = try context.parameters.id("storeId")
        let items = try await JSONBody.read(request) { reader throws(JSONReader.Failure) in
            var items: [MenuItem]?
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                if key == "items" { items = try Menu.readItems(&reader) } else { try reader.skipValue() }
            }
            return try JSONReader.required(items, "items", in: reader)
        }
        let menu = try await baedal.commands.replaceMenu(storeId, items: items, by: owner)
        context.logger.info("menu replaced", metadata: ["storeId": "\(storeId)", "items": "\(menu.items.count)"])
        return JSONBody.response(Self.menuJSON(storeId: storeId, menu))
    }

    /// The store's board: the orders it received (newest first, up to 200) and their status now.
    func board(_ request: Request, _ context: BaedalContext) async throws -> Response {
        let owner = try await auth.actor(request, in: .owner)
        return JSONBody.response(OrderView.list(try await baedal.queries.storeOrders(try context.parameters.id("storeId"), by: owner)))
    }

    static func menuJSON(storeId: String, _ menu: Menu) -> String {
        JSONWriter.object { json in
            json.field("storeId", storeId)
            json.key("items")
            json.raw(menu.itemsJSON)
        }
    }
}
