import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13: the operator console in headless Chromium (Debian's `chromium` and
/// `chromium-driver`), driven through WebDriver by `Tests/browser/console.py` with selenium from
/// the virtual environment `scripts/install-deps.sh` makes under `.build/`. The script acts as an
/// operator and reports what the page showed; this test holds that against what it knows.
/// Screenshots of each view: `.build/test-output/console/`.
@Suite("Console: in a browser", .serialized)
struct ConsoleBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/venv/bin/python")
    static let script = root.appendingPathComponent("Tests/browser/console.py")
    static let screenshots = root.appendingPathComponent(".build/test-output/console")

    @Test func anOperatorWatchesAndRepairsThePlatformInABrowser() async throws {
        try await watchAndRepair(partitions: 1)
    }

    /// The same page over four partitions: each stream card is the total over the partitions
    /// (`baedal:{*}:…`), the dashboards merged, a dead letter's id names its partition (`k/<id>`,
    /// sent as `k%2F<id>` by the page's buttons), an order's timeline is read in its partition.
    @Test func theSamePageOverFourPartitions() async throws {
        try await watchAndRepair(partitions: 4)
    }

    func watchAndRepair(partitions: Int) async throws {
        let screenshots = partitions == 1 ? Self.screenshots : Self.root.appendingPathComponent(".build/test-output/console-\(partitions)-partitions")
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            throw TestFailure("no selenium venv at \(Self.python.path): run scripts/install-deps.sh (make test does)")
        }
        let chromium = try findExecutable("chromium"), chromedriver = try findExecutable("chromedriver")
        // delivery-dispatch opens deliveries (part of an order's timeline), the projector draws the
        // dashboards; with no other worker a garbage entry makes exactly one dead letter.
        let deployment = try await Deployment(workers: ["projector", "delivery-dispatch"],
                                              environment: partitions == 1 ? [:] : ["BAEDAL_PARTITIONS": String(partitions)])
        let customer = try await deployment.customer("c-browser")
        _ = try await deployment.placed(customer, items: [("fried-chicken", 2)])
        let orderId = try await deployment.pickedOrder(try await deployment.customer("c-2"), items: [("seasoned-chicken", 1)],
                                                       rider: try await deployment.rider("r-7"))

        // Signing in: the URL `baedalctl console` prints, with a fresh operator token.
        let console = try BaedalProcess("baedalctl", ["console", "--sub", "ops-kim"], environment: deployment.base)
        #expect(await console.waitForExit(seconds: 30) == 0, "\(console.log)")
        let url = try #require(console.log.split(separator: "\n").last.map(String.init))
        #expect(url.hasPrefix("http://127.0.0.1:\(deployment.apiPort)/console#token=ey"), "\(url)")

        // The page must show the order's timeline as the console's JSON route gives it.
        let served = try #require(try await deployment.console("orders/\(orderId)", token: try await deployment.operator())["timeline"] as? [String: Any])
        #expect(ConsoleTests.inWrittenOrder(served, Deployment.pickedTimeline), "\(served)")
        let expectedTimeline = ConsoleTests.types(served)

        try? FileManager.default.removeItem(at: screenshots)
        let environment = [
            "CONSOLE_URL": url, "API": "http://127.0.0.1:\(deployment.apiPort)", "REDIS_PORT": String(deployment.redis.port),
            "OUT": screenshots.path, "PARTITIONS": String(partitions), "CHROMIUM": chromium, "CHROMEDRIVER": chromedriver, "MODE": "test",
            "CUSTOMER": customer, "ANOTHER_ROLE": customer, "ORDER_ID": orderId,
            "EXPECT_FOODS": #"{"fried-chicken":2,"seasoned-chicken":1}"#, "EXPECT_RIDERS": #"{"r-7":1}"#,
            "EXPECT_TIMELINE": "[" + expectedTimeline.map { "\"\($0)\"" }.joined(separator: ",") + "]",
        ]
        let (status, steps, output) = try await Self.run(environment, seconds: 300)
        #expect(status == 0, "the browser script failed:\n\(output)\n\(deployment.logs)")

        let signIn = try #require(steps["signIn"], "\(output)")
        #expect(signIn["appVisible"] as? Bool == true && signIn["signInVisible"] as? Bool == false)
        #expect(signIn["hash"] as? String == "#/dashboards", "the token leaves the address bar")
        #expect(signIn["tokenKept"] as? Bool == true && signIn["who"] as? String == "operator ops-kim")

        let dashboards = try #require(steps["dashboards"], "\(output)")
        #expect(dashboards["foods"] as? [String: Int] == ["fried-chicken": 2, "seasoned-chicken": 1])
        #expect(dashboards["riders"] as? [String: Int] == ["r-7": 1])
        #expect(dashboards["placedThisHour"] as? Int == 2)

        let live = try #require(steps["live"], "\(output)")
        #expect(live["placeStatus"] as? Int == 201)
        #expect(live["unitsAfter"] as? Int == (live["unitsBefore"] as? Int ?? -9) + 3)
        #expect(live["lengthAfter"] as? Int == (live["lengthBefore"] as? Int ?? -9) + 1)
        #expect((live["chartSeconds"] as? Double ?? 99) < 10 && (live["lengthSeconds"] as? Double ?? 99) < 10, "\(live)")
        #expect(live["sameDocument"] as? String == "yes" && live["navigations"] as? Int == 1, "changed without reloading")

        let dead = try #require(steps["deadLetters"], "\(output)")
        #expect((dead["letters"] as? [String])?.count == 1)
        #expect((dead["reason"] as? String)?.isEmpty == false)
        #expect((dead["replayNote"] as? String)?.contains("for group projector") == true, "\(dead)")
        #expect((dead["afterReplay"] as? [String])?.count == 1 && dead["afterReplay"] as? [String] != dead["letters"] as? [String])
        #expect((dead["afterDrop"] as? [String])?.isEmpty == true && dead["deadAfterDrop"] as? Int == 0)
        if partitions > 1 {
            let ids = (dead["letters"] as? [String] ?? []) + (dead["afterReplay"] as? [String] ?? [])
            let k = deployment.keySpace.partition(of: "o-garbage")
            #expect(!ids.isEmpty && ids.allSatisfy { $0.hasPrefix("\(k)/") }, "a letter's id names its partition, \(k): \(dead)")
        }

        let hostile = try #require(steps["hostileText"], "\(output)")
        let text = try #require(hostile["expected"] as? String)
        #expect((hostile["deadTexts"] as? [String])?.filter { $0 == text }.count == 2, "data and note, as text: \(hostile)")
        #expect((hostile["timelineTexts"] as? [String])?.contains(text) == true)
        #expect(hostile["injectedElements"] as? Int == 0)
        #expect(hostile["pwned"] is NSNull, "no script of the entry ran")

        let all = try #require(steps["allLetters"], "\(output)")
        #expect(all["before"] as? Int == 1 && all["replayAll"] as? String == "replayed 1 dead letter")
        #expect(all["dropAll"] as? String == "dropped 1 dead letter" && all["deadInRedis"] as? Int == 0)

        let timeline = try #require(steps["timeline"], "\(output)")
        #expect(timeline["orderId"] as? String == orderId && timeline["status"] as? String == "picked")
        #expect(timeline["types"] as? [String] == expectedTimeline)

        let phone = try #require(steps["phone"], "\(output)")
        #expect((phone["scrollWidth"] as? Int ?? 9999) <= (phone["innerWidth"] as? Int ?? 0), "nothing wider than a phone: \(phone)")

        let pasted = try #require(steps["pasted"], "\(output)")
        #expect((pasted["refusal"] as? String)?.contains("customer") == true && pasted["signedIn"] as? Bool == true)
        #expect(steps["done"] != nil)
        for name in ["0-console", "1-dashboards", "2-streams", "3-dead-letters", "4-hostile-text", "5-order", "6-phone", "7-sign-in"] {
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name + ".png").path), "\(name).png")
        }
    }

    /// Runs the script; its exit status, its steps by name and everything it printed.
    static func run(_ environment: [String: String], seconds: Double) async throws -> (Int32?, [String: [String: Any]], String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-console-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: output)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        var steps: [String: [String: Any]] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let step = object["step"] as? String {
                steps[step] = object
            }
        }
        return (process.isRunning ? nil : process.terminationStatus, steps, text)
    }
}
