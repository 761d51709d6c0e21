import Autoscaling
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
