import Daemon
import Dispatch
import Hummingbird
import Logging

extension EnvironmentSetting {
    /// What `AccessLog.isOn` reads (`--help`).
    public static let accessLog = EnvironmentSetting("BAEDAL_ACCESS_LOG", default: "on",
                                                     "a log line per request at info (method, route, status, durationMs, orderId); off to silence it")
}

/// One log line per HTTP request at `info`: method, route, status, duration and the order id
/// when the path names one (`BAEDAL_ACCESS_LOG=off` turns it off; at `BAEDAL_LOG_LEVEL=warning`
/// nothing is formatted at all).
public struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Whether `BAEDAL_ACCESS_LOG` asks for it (`on` by default, `off` to silence it).
    public static func isOn(_ variables: [String: String]) -> Bool {
        variables["BAEDAL_ACCESS_LOG"].map { $0.lowercased() != "off" } ?? true
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard logger.logLevel <= .info else { return try await next(request, context) }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, started)
            return response
        } catch {
            log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, started)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, _ started: UInt64) {
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? request.uri.path)", "status": "\(status)",
            "durationMs": "\(Double((DispatchTime.now().uptimeNanoseconds - started) / 1_000) / 1_000)",
        ]
        if let orderId = context.parameters.get("orderId") { metadata["orderId"] = "\(orderId)" }
        logger.info("request", metadata: metadata)
    }
}
