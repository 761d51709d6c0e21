import ArgumentParser
import Backbone
import Contract
import Daemon

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `baedalctl console`: the operator console's URL with a fresh operator token in its fragment
/// (`http://127.0.0.1:8080/console#token=…`). Browsers never send a fragment to the server, so
/// the token stays out of request lines and access logs; the page keeps it for the tab only.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Print the operator console's URL with a fresh operator token.",
        discussion: "The address is http://BAEDAL_API_HOST:BAEDAL_API_PORT (127.0.0.1:8080 by default; a wildcard host prints 127.0.0.1) unless --url says otherwise."
    )

    @Option(help: "the operator's id (the token's sub); default: $USER, else 'operator'")
    var sub: String?

    @Option(help: "how long the token is valid, in seconds")
    var ttl: Int = 12 * 3600

    @Option(help: "the API's base URL as the browser reaches it (e.g. https://ops.example.com)")
    var url: String?

    func validate() throws {
        try TokenCommand.check(ttl: ttl)
        if let sub { try TokenCommand.check(id: sub, "--sub") }
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--url must be an http:// or https:// URL, got '\(url)'")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let name = sub ?? environment["USER"].flatMap { Identifier.problem($0) == nil ? $0 : nil } ?? "operator"
        let base: String
        if let url {
            base = url.hasSuffix("/") ? String(url.dropLast()) : url
        } else {
            let port: Int
            do {
                port = try BaedalEnvironment.positive("BAEDAL_API_PORT", environment, default: 8080, max: 65_535)
            } catch {
                throw ValidationError(error.description)
            }
            var host = environment["BAEDAL_API_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            if host == "0.0.0.0" || host == "::" { host = "127.0.0.1" }
            if host.contains(":") { host = "[\(host)]" }
            base = "http://\(host):\(port)"
        }
        let token = try await TokenCommand.issue(sub: name, role: "operator", ttl: ttl)
        print("\(base)/console#token=\(token)")
    }
}
