/// Where Redis is and how to log in, parsed from `redis://[user:password@]host[:port][/db]`.
public struct RedisConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Longest wait for a TCP connect.
    public var connectTimeoutMilliseconds: Int = 2_000
    /// Longest wait for a reply; keep it above any `BLOCK` a command asks for.
    public var readTimeoutMilliseconds: Int = 15_000

    public init(host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    public init(url: String) throws(RedisError) {
        func fail(_ reason: String) -> RedisError { .invalidURL(url: url, reason: reason) }
        let scheme = "redis://"
        guard url.hasPrefix(scheme) else { throw fail("it must start with redis://") }
        var rest = Substring(url.dropFirst(scheme.count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = try Self.percentDecoded(credentials[..<colon], url: url)
                username = user.isEmpty ? nil : user
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...], url: url)
            } else {
                // redis://secret@host is the old password-only form.
                password = try Self.percentDecoded(credentials, url: url)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let db = Int(path), db >= 0, db <= 65_535 else { throw fail("database '\(path)' is not a number") }
                database = db
            }
        }
        var host = rest
        var port = 6379
        if host.hasPrefix("[") {  // [::1]:6379
            guard let close = host.firstIndex(of: "]") else { throw fail("unclosed '[' in host") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { throw fail("bad port '\(after.dropFirst())'") }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            let portText = host[host.index(after: colon)...]
            guard let p = Int(portText) else { throw fail("port '\(portText)' is not a number") }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw fail("the host is missing") }
        guard (1...65_535).contains(port) else { throw fail("port \(port) is out of range") }
        guard !host.contains(where: { $0 == "?" || $0 == "#" || $0 == " " }) else { throw fail("unexpected characters in host '\(host)'") }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    public var endpoint: String { RedisEndpoint(host: host, port: port).description }

    /// The URL again, with any password hidden: safe for logs.
    public var description: String {
        var text = "redis://"
        if let username { text += username }
        if password != nil { text += ":***" }
        if username != nil || password != nil { text += "@" }
        text += endpoint
        if database != 0 { text += "/\(database)" }
        return text
    }

    private static func percentDecoded(_ text: Substring, url: String) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next(), let low = iterator.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { throw .invalidURL(url: url, reason: "bad percent-escape in credentials") }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
