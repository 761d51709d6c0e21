import Autoscaling
import Testing

/// The decision function alone: backlogs over time in, instance counts out.
@Suite("The autoscaler's decision")
struct ScalerTests {
    static let rule = try! ScalingRule(policy: "projector", min: 1, max: 4)

    /// Feeds `backlogs` one per `interval` ms from t = interval; the wanted count after each.
    static func run(_ backlogs: [Int], rule: ScalingRule = rule, lagPerInstance: Int = 5_000, coolDown: Int64 = 60_000,
                    interval: Int64 = 5_000, running: Int = 0) -> [Int] {
        var scaler = Scaler(rule: rule, lagPerInstance: lagPerInstance, coolDownMilliseconds: coolDown, running: running, at: 0)
        return backlogs.enumerated().map { index, backlog in
            scaler.observe(Backlog(lag: backlog, pending: 0), at: Int64(index + 1) * interval).wanted
        }
    }

    @Test func neededIsTheBacklogOverWhatOneInstanceCarriesRoundedUpWithinTheBounds() {
        let scaler = Scaler(rule: Self.rule, lagPerInstance: 5_000, coolDownMilliseconds: 0, at: 0)
        #expect(scaler.needed(for: .empty) == 1, "never below MIN")
        #expect(scaler.needed(for: Backlog(lag: 1, pending: 0)) == 1)
        #expect(scaler.needed(for: Backlog(lag: 5_000, pending: 0)) == 1)
        #expect(scaler.needed(for: Backlog(lag: 5_001, pending: 0)) == 2)
        #expect(scaler.needed(for: Backlog(lag: 10_000, pending: 2_000)) == 3, "pending counts: instances hold it")
        #expect(scaler.needed(for: Backlog(lag: 60_000, pending: 0)) == 4, "never above MAX")
        #expect(scaler.needed(for: Backlog(lag: .max, pending: .max)) == 4, "no overflow")
        let zero = try! ScalingRule(policy: "notification", min: 0, max: 3)
        let scaleToZero = Scaler(rule: zero, lagPerInstance: 100, coolDownMilliseconds: 0, at: 0)
        #expect(scaleToZero.needed(for: .empty) == 0)
        #expect(scaleToZero.needed(for: Backlog(lag: 0, pending: 1)) == 1)
    }

    @Test func aBurstScalesUpAtOnceAndDownOnlyAfterTheCoolDown() {
        // 60,000 at once, drained over four intervals, then quiet; cool-down 60 s = 12 intervals.
        let backlogs = [0, 60_000, 41_000, 22_000, 3_000] + Array(repeating: 0, count: 20)
        let wanted = Self.run(backlogs)
        #expect(wanted[0] == 1)
        #expect(wanted[1] == 4, "up on the first look at the burst")
        #expect(wanted[2...4].allSatisfy { $0 == 4 }, "held while it drains")
        // The last observation asking for 4 is index 3 (22,000 → 5; capped 4) at t = 20 s: 4 until t = 80 s.
        let lastFour = wanted.lastIndex(of: 4)!
        #expect(Int64(lastFour + 1) * 5_000 == 80_000)
        #expect(wanted[(lastFour + 1)...].allSatisfy { $0 == 1 }, "down to MIN in one step once the whole window is low")
        #expect(Set(wanted).isSubset(of: [1, 4]))
    }

    @Test func aNoisyBacklogDoesNotFlap() {
        // Oscillates every interval between needing 1 and needing 4 for ten minutes.
        let noisy = (0..<120).map { $0 % 2 == 0 ? 2_000 : 19_000 }
        let wanted = Self.run(noisy)
        let changes = zip(wanted, wanted.dropFirst()).filter { $0 != $1 }.count
        #expect(wanted.first == 1)
        #expect(changes == 1, "one rise, then held: \(wanted)")
        #expect(wanted.dropFirst().allSatisfy { $0 == 4 })
        // Noise around a level (6,000…14,000: needs 2 or 3 instances at random), reproducible.
        var random = SplitMix(seed: 12)
        let jitter = (0..<500).map { _ in 6_000 + random.next(below: 8_001) }
        let windowed = Self.run(jitter, coolDown: 30_000)
        let alone = Self.run(jitter, coolDown: 0)
        func changeCount(_ counts: [Int]) -> Int { zip(counts, counts.dropFirst()).filter { $0 != $1 }.count }
        #expect(windowed.allSatisfy { (2...3).contains($0) })
        #expect(changeCount(alone) > 100, "deciding on each look alone flaps")
        #expect(changeCount(windowed) * 20 < changeCount(alone), "\(changeCount(windowed)) changes with the cool-down, \(changeCount(alone)) without")
        // Every step down happened after a whole cool-down (6 looks) that needed no more.
        let needed = jitter.map { ($0 + 4_999) / 5_000 }
        for index in 1..<windowed.count where windowed[index] < windowed[index - 1] {
            #expect(needed[max(0, index - 6)...index].allSatisfy { $0 <= windowed[index] }, "down at \(index)")
        }
    }

    @Test func downStepsFollowTheLargestNeedLeftInTheWindow() {
        // Needs 4, then 3 for a while, then 1: first down to 3, then to 1.
        let backlogs = [20_000] + Array(repeating: 12_000, count: 14) + Array(repeating: 0, count: 14)
        let wanted = Self.run(backlogs)
        #expect(wanted.first == 4)
        let distinct = wanted.reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } }
        #expect(distinct == [4, 3, 1], "\(wanted)")
    }

    @Test func aRiseDuringTheCoolDownCancelsTheScaleDown() {
        let backlogs = [20_000, 0, 0, 0, 20_000] + Array(repeating: 0, count: 11) + [0, 0]
        let wanted = Self.run(backlogs, coolDown: 60_000)
        // The second burst restarts the window: 4 until 60 s after t = 25 s.
        #expect(wanted[..<16].allSatisfy { $0 == 4 }, "\(wanted)")
        #expect(wanted.last == 1)
    }

    @Test func neverBelowMinOrAboveMaxWhateverTheBacklog() {
        // Reproducible: the same backlogs on every run.
        var random = SplitMix(seed: 7)
        for (min, max) in [(0, 1), (1, 1), (1, 4), (2, 8), (3, 3), (0, 64)] {
            let rule = try! ScalingRule(policy: "projector", min: min, max: max)
            let backlogs = (0..<300).map { _ in random.next(below: 1_000_001) * random.next(below: 2) }
            #expect(backlogs.contains(0) && backlogs.contains { $0 > max * 7_000 }, "the backlogs reach below MIN and above MAX")
            let wanted = Self.run(backlogs, rule: rule, lagPerInstance: 7_000, coolDown: 20_000, running: 99)
            #expect(wanted.allSatisfy { (min...max).contains($0) }, "\(min)...\(max): \(wanted)")
        }
    }

    @Test func instancesFoundRunningAtStartAreKeptForACoolDown() {
        // The autoscaler restarted over 3 running instances while the backlog is empty.
        let wanted = Self.run(Array(repeating: 0, count: 14), running: 3)
        #expect(wanted[..<11].allSatisfy { $0 == 3 }, "\(wanted)")
        #expect(wanted.last == 1)
        // More running than MAX: brought down to MAX.
        #expect(Self.run([0], running: 9) == [4])
    }

    @Test func aDecisionCarriesItsFigures() {
        var scaler = Scaler(rule: Self.rule, lagPerInstance: 5_000, coolDownMilliseconds: 10_000, at: 0)
        let up = scaler.observe(Backlog(lag: 12_000, pending: 345), at: 1_000)
        #expect(up.change == .up && up.previous == 1 && up.wanted == 3 && up.needed == 3 && up.backlog.total == 12_345)
        #expect(up.holdingUntil == nil)
        let low = scaler.observe(.empty, at: 2_000)
        #expect(low.change == .none && low.wanted == 3 && low.needed == 1 && low.holdingUntil == 11_000)
        let down = scaler.observe(.empty, at: 11_500)
        #expect(down.change == .down && down.wanted == 1 && down.holdingUntil == nil)
    }

    @Test func aBacklogSumSaturates() {
        #expect(Backlog(lag: .max, pending: 1).total == .max)
        #expect((Backlog(lag: 1, pending: 2) + Backlog(lag: 3, pending: 4)) == Backlog(lag: 4, pending: 6))
    }
}

/// A small reproducible generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(below bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
