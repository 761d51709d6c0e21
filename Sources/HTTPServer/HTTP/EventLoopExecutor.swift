import HummingbirdCore
import Logging
import NIOCore

/// Runs each HTTP connection's task on the connection's own event loop instead of Swift's
/// cooperative pool: the request is read, handled and answered on one thread, and a Redis call
/// through `NIORedisClient` (whose connection lives on the same loop) resumes there too. Without
/// it every request and every Redis reply crossed between the loop and the pool.
public struct EventLoopChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value
    let base: Base

    public init(_ base: Base) { self.base = base }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    public func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

/// A `TaskExecutor` over one NIO event loop: a job runs as one of the loop's tasks.
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
