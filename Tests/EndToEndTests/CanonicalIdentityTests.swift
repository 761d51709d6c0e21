import Foundation
import Testing
import TestSupport

/// Ids have one identity everywhere: only their composed form (NFC) is an id, so an ownership
/// check (Swift's canonical equality) and a Redis key (bytes) can never disagree. A decomposed
/// id in a token, a path, a body or a stream entry is refused, for every role, before it reaches
/// anyone's order, store or delivery (issue 18, item 6).
@Suite("Canonically equal ids never cross accounts", .serialized)
struct CanonicalIdentityTests {
    /// Pairs that Swift finds equal and Redis does not: composed first.
    static let pairs = [
        ("가나", "\u{1100}\u{1161}\u{1102}\u{1161}"),
        ("café", "cafe\u{301}"),
        ("Åsa", "\u{212B}sa"),
    ]

    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
                ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
    }

    @Test func everyRoleWithADecomposedIdIsRefused() async throws {
        let deployment = try await Deployment(workers: ["store-inbox"])
        for (composed, decomposed) in Self.pairs {
            #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8))
            // Customers: the composed one orders; the decomposed one can neither read nor cancel it.
            let owner = try await deployment.customer(composed)
            let orderId = try await deployment.placed(owner)
            let intruder = try await deployment.customer(decomposed)
            for (method, path) in [("GET", "/orders/\(orderId)"), ("POST", "/orders/\(orderId)/cancel"), ("GET", "/customers/me/orders")] {
                let reply = try await deployment.call(method, path, token: intruder)
                #expect(reply.status == 401 && reply.body.contains("Normalization Form C"), "\(method) \(path): \(reply.status) \(reply.body)")
            }
            #expect(try await deployment.status(of: orderId, owner) == "placed")

            // Owners: the composed store is made and run by its owner; a decomposed owner token fails.
            let storeOwner = try await deployment.token("owner", "o-\(composed)", store: composed)
            let store = Self.percentEncoded(composed)
            #expect(try await deployment.call("PUT", "/stores/\(store)", token: storeOwner, body: #"{"name":"가게","region":"gangnam"}"#).status == 200)
            let impostor = try await deployment.token("owner", "o-x", store: decomposed)
            for (method, path, body) in [("PUT", "/stores/\(store)", #"{"name":"탈취","region":"gangnam"}"#), ("GET", "/stores/\(store)/orders", nil)] {
                let reply = try await deployment.call(method, path, token: impostor, body: body)
                #expect(reply.status == 401, "\(method) \(path): \(reply.status) \(reply.body)")
            }
            #expect(try await deployment.call("GET", "/stores").array.contains { ($0["storeId"] as? String) == composed && ($0["name"] as? String) == "가게" })

            // Riders.
            let rider = try await deployment.rider(decomposed)
            let reply = try await deployment.call("GET", "/deliveries?region=gangnam", token: rider)
            #expect(reply.status == 401, "\(reply.status) \(reply.body)")

            // Paths and bodies.
            let path = try await deployment.call("GET", "/stores/\(Self.percentEncoded(decomposed))/menu")
            #expect(path.status == 400 && path.body.contains("Normalization Form C"), "\(path.body)")
            let body = try await deployment.placeOrder(owner, store: decomposed)
            #expect(body.status == 400 && body.body.contains("Normalization Form C"), "\(body.body)")
            let region = try await deployment.placeOrder(owner, region: decomposed)
            #expect(region.status == 400, "\(region.body)")
        }
        // Stream entries: an order id in decomposed form is malformed, not a key.
        _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-\u{1100}\u{1161}", "at", "1",
                                        "data", #"{"storeId":"s-gangnam-chicken","customerId":"c1","items":[],"amount":0,"region":"gangnam","address":"x","paymentId":"p"}"#)
        try #require(await eventually {
            let letters = (try? deployment.redisCommand("XRANGE", "baedal:dead", "-", "+").array) ?? []
            return letters.contains { $0.array?[1].fields["reason"]?.string?.contains("Normalization Form C") == true }
        }, "\(deployment.logs)")
    }
}
