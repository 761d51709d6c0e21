import Contract
import Backbone
import Foundation
import Policies
import Testing

/// The list of policies is written once (`PolicyCatalog`); what repeats it outside Swift is held to it.
@Suite("The policy catalogue")
struct CatalogueTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `make run` starts every policy once: a fixed worker, or through the autoscaler (whose
    /// `--policy NAME:MIN:MAX` arguments come from the same plan, with MIN at least 1).
    @Test func makeRunStartsEveryPolicy() throws {
        let script = try String(contentsOf: Self.root.appendingPathComponent("scripts/run.sh"), encoding: .utf8)
        let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("POLICIES=") })
        let listed = line.dropFirst("POLICIES=".count).trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: " ").map(String.init)
        #expect(listed == PolicyCatalog.names)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent("scripts/run.sh").path, "plan"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let plan = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map { $0.split(separator: " ") }
        #expect(process.terminationStatus == 0)
        #expect(plan.map { String($0[0]) } == PolicyCatalog.names, "every policy once: \(plan)")
        for entry in plan {
            if entry.count == 2 {
                #expect(entry[1] == "fixed")
            } else {
                #expect(entry.count == 3 && entry[1] == "autoscaled", "\(entry)")
                let bounds = entry[2].split(separator: ":").compactMap { Int($0) }
                #expect(bounds.count == 2 && bounds[0] >= 1 && bounds[0] <= bounds[1], "\(entry): at least one instance always runs")
            }
        }
        #expect(plan.contains { $0.count == 3 }, "make run scales some policy with the autoscaler")
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
