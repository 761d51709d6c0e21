import FoundationEssentials
import Redis

#if canImport(Glibc)
import Glibc
#endif

/// `BAEDAL_REDIS_TLS_CA`, `BAEDAL_REDIS_TLS_CERT` and `BAEDAL_REDIS_TLS_KEY`: whom a
/// `rediss…://` connection trusts and what it shows. Checked at start, so a path that cannot be
/// read is a settings error (exit 2), not a connection that fails later:
/// - the files are readable PEM files (their contents are checked at the first connection);
/// - a certificate goes with its key;
/// - none of them with a clear-text URL (the operator meant TLS and would not get it).
enum RedisTLSSettings {
    static func apply(to configuration: inout RedisConfiguration, _ variables: [String: String]) throws(BaedalEnvironment.Invalid) {
        func file(_ name: String) throws(BaedalEnvironment.Invalid) -> String? {
            guard let path = variables[name], !path.isEmpty else { return nil }
            guard access(path, R_OK) == 0 else {
                throw .init(description: "\(name): cannot read '\(path)' (\(String(cString: strerror(errno))))")
            }
            return path
        }
        let tls = RedisTLS(caFile: try file("BAEDAL_REDIS_TLS_CA"), certificateFile: try file("BAEDAL_REDIS_TLS_CERT"),
                           keyFile: try file("BAEDAL_REDIS_TLS_KEY"))
        guard (tls.certificateFile == nil) == (tls.keyFile == nil) else {
            throw .init(description: "BAEDAL_REDIS_TLS_CERT and BAEDAL_REDIS_TLS_KEY go together (a client certificate and its key)")
        }
        guard configuration.tls != nil else {
            if tls != RedisTLS() {
                throw .init(description: "BAEDAL_REDIS_TLS_* are set but BAEDAL_REDIS_URL is \(configuration) (clear text): use rediss://, rediss-sentinel:// or rediss-cluster://")
            }
            return
        }
        configuration.tls = tls
    }
}
