import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A request NIO's HTTP parser refuses (a head over its limits, an over-long query, broken
/// framing) gets the contract's JSON error body instead of an empty 400, then the connection
/// is closed: after a parse error nothing more of it can be trusted. Its path is not known (the
/// head was not read), so the answer carries the strictest security headers there are: it may be
/// the answer to a request for the console, and a JSON error body needs nothing they forbid.
final class ParserErrorResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        let (status, message): (HTTPResponse.Status, String) = switch parserError {
        case .headerOverflow: (.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), "the request's head (its path, query and headers) is over the size limit")
        case .invalidURL: (.badRequest, "the request's path is not a valid URL")
        default: (.badRequest, "the request is not valid HTTP/1.1")
        }
        let body = #"{"error":"bad_request","message":"\#(message)"}"#
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        let response = HTTPResponse(status: status, headerFields: [
            .contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes), .connection: "close",
            .contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'", .cacheControl: "no-store",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("X-Frame-Options")!: "DENY",
        ])
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
