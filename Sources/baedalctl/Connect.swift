import ArgumentParser
import Backbone
import Contract
import Daemon
import Redis

/// The deployment baedalctl talks to, from the same environment as the daemons.
struct Deployment {
    let environment: BaedalEnvironment
    let connection: RedisConnection

    static func connect() throws -> Deployment {
        let environment: BaedalEnvironment
        do {
            environment = try BaedalEnvironment()
        } catch {
            throw ValidationError(error.description)
        }
        do {
            return Deployment(environment: environment, connection: try RedisConnection(configuration: environment.redis))
        } catch {
            FileHandleStandardError.write("baedalctl: cannot reach Redis at \(environment.redis): \(error)\n")
            throw ExitCode(3)
        }
    }

    var keys: Keys { environment.keys }

    /// A client for the operator's tools (`Operations`), which are async over any executor: the
    /// same code the console runs in `baedal-api`. Close it when done.
    func client() -> RedisClient {
        RedisClient(configuration: environment.redis, label: "baedalctl")
    }

    /// Runs `body` with a client and the connection closed after it.
    static func withClient<T>(_ body: (Deployment, RedisClient) async throws -> T) async throws -> T {
        let deployment = try connect()  // exit 3 when Redis is unreachable
        deployment.connection.close()
        let client = deployment.client()
        defer { client.close() }
        return try await body(deployment, client)
    }
}

/// `12.3s`, `450ms`: an idle time as a person reads it.
func humanDuration(milliseconds: Int) -> String {
    if milliseconds < 1_000 { return "\(milliseconds)ms" }
    if milliseconds < 120_000 { return "\(milliseconds / 1000).\((milliseconds % 1000) / 100)s" }
    if milliseconds < 7_200_000 { return "\(milliseconds / 60_000)m" }
    return "\(milliseconds / 3_600_000)h"
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
