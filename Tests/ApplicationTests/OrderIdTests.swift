import Contract
import Application
import Testing

@Suite("Order ids of idempotent requests")
struct OrderIdTests {
    @Test func theSameCustomerAndKeyNameTheSameOrderAndNothingElseDoes() {
        let id = PlaceOrder.orderId(customer: "c1", idempotencyKey: "k:z")
        #expect(id == PlaceOrder.orderId(customer: "c1", idempotencyKey: "k:z"))
        #expect(id.hasPrefix("o-") && id.count == 26)
        // The pairs that met under the old "<customer>:<key>" scheme, and other near misses.
        #expect(id != PlaceOrder.orderId(customer: "c1:k", idempotencyKey: "z"))
        #expect(PlaceOrder.orderId(customer: "c1", idempotencyKey: "k") != PlaceOrder.orderId(customer: "c", idempotencyKey: "1k"))
        #expect(PlaceOrder.orderId(customer: "c2", idempotencyKey: "same") != PlaceOrder.orderId(customer: "c3", idempotencyKey: "same"))
    }
}
