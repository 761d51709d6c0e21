import Backbone
import Daemon

extension WorkerSettings {
    /// A policy instance's settings from the environment (`BAEDAL_CONSUMER`, the claim time,
    /// deliveries and the retry schedule).
    public init(_ environment: BaedalEnvironment) {
        self.init(keys: environment.keys, consumer: environment.consumer,
                  claimIdleMilliseconds: environment.claimIdleMilliseconds, maxDeliveries: environment.maxDeliveries,
                  retry: RetrySchedule(firstMilliseconds: environment.retryFirstMilliseconds, maxMilliseconds: environment.retryMaxMilliseconds))
        lingerMilliseconds = environment.batchLingerMilliseconds
    }
}
