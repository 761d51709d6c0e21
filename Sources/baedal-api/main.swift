import API
import Observability
import Backbone
import Hummingbird
import Logging
import ServiceLifecycle

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
let app = Application(
    router: api.router(),
    configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "baedal-api"),
    onServerRunning: { _ in
        logger.notice("listening", metadata: ["address": "http://\(settings.host):\(settings.port)"])
    },
    logger: logger
)
let group = ServiceGroup(configuration: .init(
    services: [app, api.health, ReadinessNotifier(health: api.health, status: "serving on \(settings.host):\(settings.port)")],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger
))
do {
    try await group.run()
} catch {
    logger.critical("stopped", metadata: ["error": "\(error)"])
    await api.shutdown()
    exit(1)
}
await api.shutdown()
