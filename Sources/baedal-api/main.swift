import API
import Daemon
import HTTPServer
import Logging
import Observability

#if canImport(Glibc)
import Glibc
#endif

/// `baedal-api`: the REST service, every command and query of customers, owners and riders.
let settings: APISettings
do {
    settings = try APISettings()
} catch {
    ProcessSupport.fail("baedal-api: \(error.description)")
}
let logger = ProcessSupport.bootstrapLogging(label: "baedal.api")
let registry = PrometheusSetup.bootstrap()
let api = await BaedalAPI(settings: settings, registry: registry, logger: logger)
await HTTPDaemon.serve(router: api.router(), host: settings.host, port: settings.port, limits: settings.http, name: "baedal-api",
                       health: api.health, logger: logger, services: [ProcessMetrics()], cleanup: { await api.shutdown() })
