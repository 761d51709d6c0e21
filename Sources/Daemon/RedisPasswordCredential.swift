import Redis

/// Who a daemon is to Redis, beside `BAEDAL_REDIS_URL`:
/// - the password as a systemd credential: the units load each daemon's password with
///   `LoadCredential=redis-password:…` (ops/systemd/*.d/redis-password.conf), so it is in neither
///   the environment file nor the process's environment (`systemctl show`, /proc/PID/environ);
///   the URL then names only the user, with an empty password (`redis://baedal-api:@host:6379`;
///   a lone `secret@` is the old password-only form);
/// - `BAEDAL_REDIS_USER`, the user instead of the URL's: the workers' unit sets it per policy
///   (`baedal-POLICY`), since every worker reads the same environment file.
///
/// An empty credential is none. A password in both the URL and the credential is a configuration
/// error: which one is meant cannot be guessed.
enum RedisPasswordCredential {
    static let name = "redis-password"

    static func apply(to configuration: inout RedisConfiguration, _ variables: [String: String]) throws(BaedalEnvironment.Invalid) {
        if let user = variables["BAEDAL_REDIS_USER"], !user.isEmpty {
            guard user.count <= 128, user.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
                throw .init(description: "BAEDAL_REDIS_USER must be a Redis user name (printable ASCII, no spaces, at most 128 characters), got '\(user.prefix(40))'")
            }
            configuration.username = user
        }
        guard let directory = variables["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
              let password = SystemdCredentials.read(directory + "/" + name), !password.isEmpty else { return }
        guard configuration.password?.isEmpty ?? true else {
            throw .init(description: "BAEDAL_REDIS_URL has a password and so does the credential '\(name)' ($CREDENTIALS_DIRECTORY/\(name)): keep one (the credential, with only the user in the URL: redis://USER:@host:port)")
        }
        configuration.password = password
    }
}
