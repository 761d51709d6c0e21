import Contract
import Backbone
import Daemon

extension WorkerSettings {
    /// A policy instance's settings from the environment (`BAEDAL_CONSUMER`, the claim time,
    /// deliveries and the retry schedule), on a partition's keys (the first partition's by default).
    public init(_ environment: BaedalEnvironment, keys: Keys? = nil) {
        self.init(keys: keys ?? environment.keySpace.keys(ofPartition: 0), consumer: environment.consumer,
                  claimIdleMilliseconds: environment.claimIdleMilliseconds, maxDeliveries: environment.maxDeliveries,
                  retry: RetrySchedule(firstMilliseconds: environment.retryFirstMilliseconds, maxMilliseconds: environment.retryMaxMilliseconds))
        lingerMilliseconds = environment.batchLingerMilliseconds
    }
}
