import API
import ArgumentParser
import Daemon
import HTTPServer
import Logging
import Observability

#if canImport(Glibc)
import Glibc
#endif

/// `baedal-api`: the REST service, every command and query of customers, owners and riders.
struct APICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baedal-api",
        abstract: "Serve Baedal's REST API: every command and query of customers, store owners, riders and operators.",
        discussion: """
        Listens on BAEDAL_API_HOST:BAEDAL_API_PORT, or on the socket systemd passes. SIGTERM: it stops accepting, \
        lets the requests in flight finish (BAEDAL_HTTP_SHUTDOWN_GRACE_MS) and exits 0. A setting it cannot use: one \
        line on stderr, exit 2.

        \(APISettings.settings.helpSection())
        """,
        version: BaedalVersion.current
    )
}

_ = APICommand.parseCommandLine()
let settings: APISettings
do {
    settings = try APISettings()
} catch {
    ProcessSupport.fail("baedal-api: \(error.description)")
}
let logger = ProcessSupport.bootstrapLogging(label: "baedal.api")
let tracing = ProcessSupport.bootstrapTracing(service: "baedal-api", logger: logger)
let registry = PrometheusSetup.bootstrap()
await PartitionRecord.hold(settings.environment.keySpace, redis: settings.environment.redis, name: "baedal-api", logger: logger)
let api = await BaedalAPI(settings: settings, registry: registry, logger: logger)
await HTTPDaemon.serve(router: api.router(), host: settings.host, port: settings.port, limits: settings.http, name: "baedal-api",
                       health: api.health, logger: logger, services: tracing + [ProcessMetrics()], cleanup: { await api.shutdown() })
