import Orders
import Redis

/// A lost reply or a write short of its replicas may stand (`RedisError.mayHaveWritten`); a
/// routing reply past the client's retries, a connection that could not be made, a server that
/// is not the primary (yet) and Redis's other passing replies did not run and will run later
/// (`RedisError.isPassing`).
extension RedisError: UncertainWrite {}
