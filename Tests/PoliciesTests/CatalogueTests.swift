import Backbone
import Foundation
import Policies
import Testing

/// The list of policies is written once (`PolicyCatalog`); what repeats it outside Swift is held to it.
@Suite("The policy catalogue")
struct CatalogueTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func makeRunStartsEveryPolicy() throws {
        let script = try String(contentsOf: Self.root.appendingPathComponent("scripts/run.sh"), encoding: .utf8)
        let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("POLICIES=") })
        let listed = line.dropFirst("POLICIES=".count).trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: " ").map(String.init)
        #expect(listed == PolicyCatalog.names)
    }

    @Test func theTargetWantsOneInstanceOfEachPolicy() throws {
        let unit = try String(contentsOf: Self.root.appendingPathComponent("ops/systemd/baedal.target"), encoding: .utf8)
        let wants = unit.split(separator: "\n").filter { $0.hasPrefix("Wants=") }.flatMap { $0.dropFirst(6).split(separator: " ") }
        let workers = wants.filter { $0.hasPrefix("baedal-worker@") }.map { String($0.dropFirst("baedal-worker@".count).dropLast(".service".count)) }
        #expect(workers.sorted() == PolicyCatalog.names.sorted())
    }

    @Test func everyEventStreamThatIsReadHasItsReaders() {
        let readers = PolicyCatalog.readers
        #expect(readers[.order]?.sorted() == ["delivery-dispatch", "notification", "payment-refund", "projector", "store-inbox"])
        #expect(readers[.payment] == ["payment-refund"])
        #expect(readers[.notifyWebhook] == ["notification-webhook"])
        #expect(Set(PolicyCatalog.names).count == PolicyCatalog.names.count)
    }
}
