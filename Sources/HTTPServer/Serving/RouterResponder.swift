import Hummingbird
import HummingbirdCore
import Logging
import NIOHTTP1

/// What Hummingbird's `Application` does for each request, for `ListeningServer`: a
/// `BaedalContext` with a request id in its logger, the router's answer (an error no middleware
/// turned into a response is a 500), the `Date` and `Server` headers.
enum RouterResponder {
    /// A parser error while the response was being written: the connection is closed, no second
    /// response is attempted.
    struct ParseErrorWhileWriting: Error {}

    static func make(_ router: Router<BaedalContext>, serverName: String, logger: Logger) -> HTTP1Channel.Responder {
        let responder = router.buildResponder()
        let dates = HTTPDate()
        return { request, writer, channel in
            var logger = logger
            logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
            let context = BaedalContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                logger.error("unanswered error", metadata: ["error": "\(error)"])
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = dates.now
            response.headers[.server] = serverName
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                throw ParseErrorWhileWriting()
            }
        }
    }
}
