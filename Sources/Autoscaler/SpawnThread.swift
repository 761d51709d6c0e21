import Foundation

/// One long-lived thread on which every child is spawned.
///
/// Children of the process launcher are started through `setpriv --pdeathsig TERM`, and Linux
/// sends that signal when the *thread* that spawned the child ends, not the process. Swift's
/// cooperative threads may come and go; this one lives as long as the autoscaler, so a child
/// gets SIGTERM exactly when the autoscaler dies (even by SIGKILL), never before.
final class SpawnThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    init(name: String) {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on the thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            condition.lock()
            jobs.append { continuation.resume(returning: body()) }
            condition.signal()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
