import Autoscaling
import Foundation
import Testing

@Suite("--policy NAME:MIN:MAX and the autoscaler's view")
struct ScalingRuleTests {
    @Test func aRuleIsParsedOrRefusedWithTheReason() throws {
        let rule = try ScalingRule(parsing: "projector:1:4")
        #expect(rule.policy == "projector" && rule.min == 1 && rule.max == 4)
        #expect(try ScalingRule(parsing: "notification:0:2").min == 0)
        for bad in ["projector", "projector:1", "projector:a:4", "projector:1:4:5", ":1:4", "projector:-1:4", "projector:5:4",
                    "projector:0:0", "projector:1:65", "projector::4"] {
            #expect(throws: ScalingRule.Problem.self, "\(bad)") { try ScalingRule(parsing: bad) }
        }
        let problem = try #require(throws: ScalingRule.Problem.self) { try ScalingRule(parsing: "projector:5:4") }
        #expect(problem.description.contains("MIN <= MAX"))
    }

    @Test func theViewReadsBackWhatItWrites() throws {
        let view = AutoscalerView(policy: "projector", min: 1, max: 4, running: 2, wanted: 3, backlog: 12_345, lag: 12_000, pending: 345,
                                  lagPerInstance: 5_000, at: 1_700_000_000_000, intervalMilliseconds: 1_000)
        #expect(view.json.hasPrefix(#"{"policy":"projector","min":1,"max":4,"running":2,"wanted":3,"backlog":12345,"lagPerInstance":5000,"at":1700000000000"#))
        #expect(try AutoscalerView(json: view.json) == view)
        #expect(view.isCurrent(now: 1_700_000_003_000))
        #expect(!view.isCurrent(now: 1_700_000_003_001), "older than three intervals: not running")
    }

    @Test func theAgreedMinimalValueIsReadAndBrokenOnesAreRefused() throws {
        let agreed = #"{"policy":"projector","min":1,"max":4,"running":2,"wanted":3,"backlog":12345,"lagPerInstance":5000,"at":1700000000000}"#
        let view = try AutoscalerView(json: agreed)
        #expect(view.wanted == 3 && view.intervalMilliseconds == AutoscalerView.defaultIntervalMilliseconds)
        for broken in [#"{"policy":"projector"}"#, "not json", #"{"policy":1,"min":1,"max":4,"running":2,"wanted":3,"backlog":1,"lagPerInstance":5,"at":1}"#, "[]"] {
            #expect(throws: (any Error).self, "\(broken)") { try AutoscalerView(json: broken) }
        }
    }
}

/// The hash `<prefix>:autoscaler` is anyone's to write: a view with numbers the autoscaler could
/// not have written is refused, and staleness is decided without trapping (issue 18, item 1).
@Suite("Autoscaler views from Redis")
struct AutoscalerViewReadingTests {
    static let good = #"{"policy":"projector","min":1,"max":4,"running":2,"wanted":3,"backlog":10,"lagPerInstance":5000,"at":1700000000000,"lag":8,"pending":2,"intervalMs":5000}"#

    @Test func aViewTheAutoscalerWroteReadsBack() throws {
        let view = try AutoscalerView(json: Self.good)
        #expect(view.running == 2 && view.intervalMilliseconds == 5_000 && view.failures == 0)
        #expect(try AutoscalerView(json: view.json) == view)
    }

    @Test(arguments: [
        ("intervalMs", "9223372036854775807"), ("at", "-9223372036854775808"), ("at", "9223372036854775807"),
        ("running", "-1"), ("wanted", "100000"), ("backlog", "-5"), ("lagPerInstance", "0"), ("intervalMs", "0"),
    ])
    func aViewWithAnAbsurdNumberIsRefused(_ field: String, _ value: String) {
        let text = Self.good.replacingOccurrences(of: #""\#(field)":"#, with: #""\#(field)":\#(value),"_":"#)
        #expect(throws: (any Error).self) { try AutoscalerView(json: text) }
    }

    @Test func stalenessOfExtremeTimesDoesNotTrap() throws {
        var view = try AutoscalerView(json: Self.good)
        view.at = .min
        view.intervalMilliseconds = .max
        // Both extremes are decided (and both are "within three intervals" of a view that claims an endless interval).
        #expect(view.isCurrent(now: .max))
        #expect(view.isCurrent(now: .min))
        view.intervalMilliseconds = 1
        #expect(!view.isCurrent(now: .max))
    }
}
