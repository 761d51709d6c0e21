import Orders
import Redis

/// A lost reply or a write short of its replicas may stand: `RedisError.mayHaveWritten` says which.
extension RedisError: UncertainWrite {}
