import Application
import Contract
import HTTPTypes
import HTTPServer
import Hummingbird
import JSON
import Orders

/// The customer's `POST /orders`, `GET /orders/{id}`, and every command on an order:
/// `cancel`, `confirm` (customer), `accept`, `reject`, `start-cooking`, `finish-cooking` (owner).
/// It parses, authorises the role, calls the use case and formats: nothing else.
struct OrdersController: Sendable {
    let baedal: Baedal
    let auth: Authenticator

    func addRoutes(to router: Router<BaedalContext>) {
        router.post("/orders") { request, context in try await place(request, context) }
        router.get("/orders/:orderId") { request, context in try await show(request, context) }
        for command in [OrderCommand.cancel, .confirm, .accept, .reject, .startCooking, .finishCooking] {
            router.post("/orders/:orderId/\(command.name)") { request, context in try await execute(command, request, context) }
        }
    }

    func place(_ request: Request, _ context: BaedalContext) async throws -> Response {
        let customer = try await auth.actor(request, in: .customer)
        let key = request.headers[.idempotencyKey]
        if let key, key.isEmpty || key.utf8.count > 200 {
            throw APIError.badRequest("Idempotency-Key must be 1…200 characters")
        }
        let order = try await JSONBody.read(request) { reader throws(JSONReader.Failure) in try Self.readOrder(&reader) }
        return JSONBody.response(try await baedal.commands.placeOrder(order, by: customer, idempotencyKey: key), status: .created)
    }

    func show(_ request: Request, _ context: BaedalContext) async throws -> Response {
        let actor = try await auth.actor(request)
        let tracked = try await baedal.queries.order(try context.parameters.id("orderId"), for: actor)
        return JSONBody.response(OrderView.json(tracked.order, queuePosition: tracked.queuePosition,
                                                estimatedDeliveryAt: tracked.estimatedDeliveryAt, for: actor.role))
    }

    func execute(_ command: OrderCommand, _ request: Request, _ context: BaedalContext) async throws -> Response {
        // Who may give the command at all is known before the order is looked up: a rider's
        // token is refused for /accept whether or not the order exists, so ids cannot be probed.
        let actor = try await auth.actor(request, in: command.role)
        let orderId = try context.parameters.id("orderId")
        let reason = try await Self.readReason(request)
        let order = try await baedal.commands.change(command)(orderId, by: actor, reason: reason)
        context.logger.info("order \(order.status.rawValue)", metadata: ["orderId": "\(orderId)", "by": "\(actor.role.rawValue):\(actor.id)"])
        return JSONBody.response(OrderView.json(order))
    }

    static func readOrder(_ reader: inout JSONReader) throws(JSONReader.Failure) -> PlaceOrder.Request {
        var storeId: String?, region: String?, address: String?
        var items: [(foodId: String, qty: Int)]?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case "storeId": storeId = try reader.readString()
            case "region": region = try reader.readString()
            case "address": address = try reader.readString()
            case "items":
                var lines: [(foodId: String, qty: Int)] = []
                try reader.readArray { reader throws(JSONReader.Failure) in
                    var foodId: String?, qty: Int?
                    try reader.readObject { reader, key throws(JSONReader.Failure) in
                        switch key {
                        case "foodId": foodId = try reader.readString()
                        case "qty": qty = try reader.readInt()
                        default: try reader.skipValue()
                        }
                    }
                    lines.append((try JSONReader.required(foodId, "foodId", in: reader), try JSONReader.required(qty, "qty", in: reader)))
                }
                items = lines
            default: try reader.skipValue()
            }
        }
        let request = PlaceOrder.Request(
            storeId: try JSONReader.required(storeId, "storeId", in: reader),
            items: try JSONReader.required(items, "items", in: reader),
            region: try JSONReader.required(region, "region", in: reader),
            address: try JSONReader.required(address, "address", in: reader))
        if let problem = Identifier.problem(request.storeId) { throw reader.fail("'storeId' \(problem)") }
        if let problem = Identifier.problem(request.region) { throw reader.fail("'region' \(problem)") }
        if let problem = FreeText.problem(request.address, maxLength: 200) { throw reader.fail("'address' \(problem)") }
        return request
    }

    /// Commands may carry `{"reason": "..."}` (plain text, up to 500 characters); an empty body is fine.
    static func readReason(_ request: Request) async throws -> String {
        let buffer = try await request.body.collect(upTo: BaedalContext.maxBodyBytes)
        guard buffer.readableBytes > 0 else { return "" }
        return try JSONBody.parse(buffer) { reader throws(JSONReader.Failure) in
            var reason = ""
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                if key == "reason" { reason = try reader.readString() } else { try reader.skipValue() }
            }
            if let problem = FreeText.problem(reason, maxLength: 500) { throw reader.fail("'reason' \(problem)") }
            return reason
        }
    }
}
