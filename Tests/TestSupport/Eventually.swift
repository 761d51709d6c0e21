import Foundation

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
public func eventually(seconds: Double = 30, every milliseconds: Int = 50, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(milliseconds))
    }
    return try await condition()
}
