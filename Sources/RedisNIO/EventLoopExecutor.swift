import NIOCore

/// A `TaskExecutor` over one NIO event loop: a job runs as one of the loop's tasks. A task that
/// prefers it (`withTaskExecutorPreference`, `addTask(executorPreference:)`) runs on that loop's
/// thread, so `NIORedisClient` uses that loop's connection and its replies resume it there, with no
/// hop to the cooperative pool and back. `HTTPServer` runs every HTTP connection this way.
public final class EventLoopExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
