import Foundation

/// Runs a blocking wait (a cluster's failover, a reshard by redis-cli) on a thread of its own, so
/// that it does not hold one of the few threads of Swift's concurrency pool that the test's load
/// of HTTP clients runs on.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
