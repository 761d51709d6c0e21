/// How a `rediss…://` connection trusts its server and proves itself: PEM files named by
/// `BAEDAL_REDIS_TLS_CA`, `BAEDAL_REDIS_TLS_CERT` and `BAEDAL_REDIS_TLS_KEY`.
///
/// The server's certificate must chain to `caFile` (the system's roots when it is nil) and name
/// the host connected to (a DNS name, or the IP address in an `IP:` subject alternative name).
/// The client certificate and key go together; a server with `tls-auth-clients yes` needs them.
public struct RedisTLS: Sendable, Hashable {
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// True when `host` is an IPv4 or IPv6 address: it is checked against the certificate's IP
    /// addresses and sent without SNI (a server name may not be an address).
    public static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }  // only IPv6 literals hold a colon here
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && (Int(part).map { $0 <= 255 } ?? false)
        }
    }
}
