/// Where the provider publishes its key set (`BAEDAL_JWKS_URL`): an `https://` URL (its
/// `jwks_uri`), an `http://` one (a provider on the same host, or a test), or a `file:` path (a
/// set that configuration management writes; `file:/etc/baedal/jwks.json` or
/// `file:///etc/baedal/jwks.json`).
public enum KeySetLocation: Sendable, Hashable, CustomStringConvertible {
    case http(url: String)
    case file(path: String)

    /// Nil when `text` is none of those.
    public init?(_ text: String) {
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        let lowered = text.lowercased()
        if lowered.hasPrefix("https://") || lowered.hasPrefix("http://") {
            guard Self.host(of: text) != nil else { return nil }
            self = .http(url: text)
        } else if lowered.hasPrefix("file:") {
            var path = String(text.dropFirst(5))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { return nil }
            self = .file(path: path)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .http(let url): url
        case .file(let path): "file:" + path
        }
    }

    /// An `http://` URL to a host other than this one: the keys could be swapped on the way.
    public var isPlainHTTPOffHost: Bool {
        guard case .http(let url) = self, url.lowercased().hasPrefix("http://"), let host = Self.host(of: url) else { return false }
        return !(host.hasPrefix("127.") || host == "localhost" || host == "[::1]")
    }

    /// The host of an http(s) URL (`[…]` kept for IPv6), or nil when it has none.
    private static func host(of url: String) -> String? {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { return nil }
        let authority = url[url.index(colon, offsetBy: 3)...].prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let host: Substring
        if hostAndPort.hasPrefix("[") {
            guard let close = hostAndPort.firstIndex(of: "]") else { return nil }
            host = hostAndPort[...close]
        } else {
            host = hostAndPort.prefix(while: { $0 != ":" })
        }
        return host.isEmpty ? nil : String(host).lowercased()
    }
}
