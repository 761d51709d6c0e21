import Foundation
import Identity
import Testing

/// The provider's key set over time: a key rotated in, a thousand requests waiting on one fetch,
/// the limit on fetches for unknown keys, and the provider down.
@Suite("The provider's key set: rotation, refresh, outage")
struct KeyRotationTests {
    @Test func aNewKidIsAcceptedAfterExactlyOneFetch() async throws {
        let server = try KeySetServer([Keys.rsa.jwk()])
        let verifier = try await makeVerifier(server)
        #expect(server.fetches == 1)
        // The provider rotates: a new key joins the set, and a token names it.
        server.publish([Keys.rsa.jwk(), Keys.rotatedIn.jwk()])
        let verified = try await verifier.verify(Keys.rotatedIn.token(providerClaims()))
        #expect(verified.key == .provider(kid: "ec-2"))
        #expect(server.fetches == 2)
        // Known from now on: no further fetch.
        for _ in 0..<10 { _ = try await verifier.verify(Keys.rotatedIn.token(providerClaims())) }
        #expect(server.fetches == 2)
    }

    @Test func aThousandConcurrentVerificationsOfANewKidCauseOneFetch() async throws {
        let server = try KeySetServer([Keys.rsa.jwk()])
        let verifier = try await makeVerifier(server)
        server.publish([Keys.rsa.jwk(), Keys.rotatedIn.jwk()])
        // The provider answers only once all thousand are waiting on the one fetch in flight.
        server.hold()
        let token = Keys.rotatedIn.token(providerClaims())
        async let results: [TokenError?] = withTaskGroup(of: TokenError?.self) { group in
            for _ in 0..<1_000 { group.addTask { await refusal(verifier, token) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let allWaiting = await until(seconds: 30) { verifier.keys?.status.waiting == 1_000 }
        #expect(allWaiting, "waiting: \(verifier.keys?.status.waiting ?? -1)")
        #expect(await until { server.fetches == 2 }, "the one fetch reached the provider")
        server.release()
        let outcomes = await results
        #expect(outcomes.count == 1_000 && outcomes.allSatisfy { $0 == nil }, "\(Set(outcomes.compactMap { $0 }))")
        #expect(server.fetches == 2)
        #expect(verifier.keys?.status.refreshes == 1)
    }

    @Test func anUnknownKidFetchesTheSetAtMostOncePerThirtySeconds() async throws {
        let server = try KeySetServer([Keys.rsa.jwk()])
        let clock = ManualClock()
        let verifier = try await makeVerifier(server, clock: clock)
        let unknown = TestKey.p256("ec-later")
        #expect(await refusal(verifier, unknown.token(providerClaims())) == .unknownKey("ec-later", .refreshed))
        #expect(server.fetches == 2)
        // Published now, but asked again within 30 s: refused at once, without a fetch.
        server.publish([Keys.rsa.jwk(), unknown.jwk()])
        clock.advance(seconds: 29)
        #expect(await refusal(verifier, unknown.token(providerClaims())) == .unknownKey("ec-later", .tooSoon(secondsAgo: 29, interval: 30)))
        #expect(server.fetches == 2)
        clock.advance(seconds: 1)
        #expect(await refusal(verifier, unknown.token(providerClaims())) == nil)
        #expect(server.fetches == 3)
    }

    @Test func theSetIsFetchedAgainWhenItsMaxAgeRunsOutAndOnlyThen() async throws {
        let server = try KeySetServer([Keys.rsa.jwk(), Keys.p256.jwk()], cacheControl: "public, max-age=120, must-revalidate")
        let clock = ManualClock()
        let verifier = try await makeVerifier(server, clock: clock)
        let token = Keys.rsa.token(providerClaims())
        clock.advance(seconds: 119)
        for _ in 0..<5 { #expect(await refusal(verifier, token) == nil) }
        #expect(server.fetches == 1)
        clock.advance(seconds: 1)
        #expect(await refusal(verifier, token) == nil)
        #expect(await until { verifier.keys?.status.refreshes == 1 })
        #expect(server.fetches == 2)
    }

    @Test func theProviderDownChangesNothingForKnownKeysAndIsLoggedOnce() async throws {
        let server = try KeySetServer(Keys.all.map { $0.jwk() })
        let clock = ManualClock()
        let logs = LogCapture()
        let verifier = try await makeVerifier(server, clock: clock, logs: logs)
        server.down = true
        // Long past its max-age, through several attempts to fetch it again (one per 30 s at most).
        for attempt in 1...4 {
            clock.advance(seconds: attempt == 1 ? 301 : 30)
            for key in Keys.all { #expect(await refusal(verifier, key.token(providerClaims())) == nil, "\(key.alg), attempt \(attempt)") }
            #expect(await until { verifier.keys?.status.failedRefreshes == attempt })
        }
        #expect(server.fetches == 5)
        let warnings = logs.messages(.warning)
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("503") == true && warnings.first?.contains("verifying with the 3 keys") == true, "\(warnings)")
        // A key it cannot fetch is refused with why.
        clock.advance(seconds: 30)
        let error = await refusal(verifier, TestKey.p256("ec-new").token(providerClaims()))
        #expect(error == .unknownKey("ec-new", .failed("the key set's URL answered 503, not 200")))
        // Back up: fetched again, said once.
        server.down = false
        clock.advance(seconds: 30)
        _ = await refusal(verifier, Keys.rsa.token(providerClaims()))
        #expect(await until { verifier.keys?.status.lastFailure == nil })
        #expect(logs.messages(.notice).contains { $0.contains("could be fetched again") })
    }

    @Test func aSetWithoutUsableKeysAfterAFetchKeepsTheKeysItHad() async throws {
        let server = try KeySetServer([Keys.rsa.jwk()])
        let clock = ManualClock()
        let verifier = try await makeVerifier(server, clock: clock)
        server.publish(raw: #"{"keys":[]}"#)
        clock.advance(seconds: 301)
        #expect(await refusal(verifier, Keys.rsa.token(providerClaims())) == nil)
        #expect(await until { verifier.keys?.status.failedRefreshes == 1 })
        #expect(await refusal(verifier, Keys.rsa.token(providerClaims())) == nil)
        #expect(verifier.keys?.status.keyIDs == ["rsa-1"])
    }
}
