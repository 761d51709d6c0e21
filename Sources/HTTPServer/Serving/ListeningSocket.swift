/// Where an HTTP daemon listens: a socket it binds itself, or the one systemd handed it
/// (`SystemdSockets`, e.g. from `baedal-api.socket`).
public enum ListeningSocket: Sendable, Hashable, CustomStringConvertible {
    case bind(host: String, port: Int)
    case inherited(descriptor: Int32)

    public var description: String {
        switch self {
        case .bind(let host, let port): return "bound here (\(host):\(port))"
        case .inherited(let descriptor): return "from systemd (descriptor \(descriptor))"
        }
    }
}
