import Metrics
import Prometheus

/// Prometheus for every daemon: metric names with `_` instead of `.`, and latency buckets
/// fine enough for a service that answers in milliseconds.
public enum PrometheusSetup {
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        factory.nameAndLabelSanitizer = { name, labels in
            func clean(_ text: String) -> String {
                String(text.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
            }
            return (clean(name), labels.map { (clean($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
