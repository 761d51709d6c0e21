import HTTPServer
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /console`: the operator console, one page of HTML, CSS and plain JavaScript embedded in
/// the binary (SwiftPM resources, `embedInCode`): nothing to install beside it, nothing fetched
/// from elsewhere. The page is public (it holds no data); everything it shows comes from the
/// `/console/api/` routes with an operator's token. Every response under `/console` carries
/// `ConsoleHeaders`.
struct ConsoleController: Sendable {
    struct Asset: Sendable {
        var contentType: String
        var body: ByteBuffer
    }

    static let page = Asset(contentType: "text/html; charset=utf-8", body: ByteBuffer(bytes: PackageResources.console_html))
    static let style = Asset(contentType: "text/css; charset=utf-8", body: ByteBuffer(bytes: PackageResources.console_css))
    static let script = Asset(contentType: "text/javascript; charset=utf-8", body: ByteBuffer(bytes: PackageResources.console_js))

    func addRoutes(to group: RouterGroup<BaedalContext>) {
        group.get { _, _ in Self.response(Self.page) }
        group.get("console.css") { _, _ in Self.response(Self.style) }
        group.get("console.js") { _, _ in Self.response(Self.script) }
    }

    static func response(_ asset: Asset) -> Response {
        Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: asset.body))
    }
}

/// What every response under `/console` carries: a Content-Security-Policy that lets the page run
/// its own script and style only (no inline script, no other origin, no frames), no MIME
/// sniffing, no referrer, and no caching of data. It runs on the router, outside the error
/// middleware, so the answers no route gives (404 for `/console/nope`, 405, a 500 or a 503) carry
/// them too; 431 and other parser refusals never reach a router and carry the strictest policy of
/// all (`ParserErrorResponder`).
struct ConsoleHeaders<Context: RequestContext>: RouterMiddleware {
    /// Whether `path` is the console's: `/console` itself or anything under `/console/`.
    static func covers(_ path: String) -> Bool {
        guard path.hasPrefix("/console") else { return false }
        let rest = path.utf8.dropFirst("/console".utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }

    static var policy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.covers(request.uri.path) else { return try await next(request, context) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
