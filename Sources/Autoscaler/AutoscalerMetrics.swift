import Autoscaling
import Metrics

/// The autoscaler's `/metrics`, per policy: `baedal_autoscaler_desired_instances`,
/// `baedal_autoscaler_running_instances`, `baedal_autoscaler_lag`, `baedal_autoscaler_pending`,
/// `baedal_autoscaler_scalings_total{direction="up"|"down"}`, and the instances that end on their
/// own: `baedal_autoscaler_instance_exits_total` and `baedal_autoscaler_instance_failures` (in a
/// row; 0 once an instance runs again).
struct AutoscalerMetrics {
    private let desired: Gauge
    private let running: Gauge
    private let lag: Gauge
    private let pending: Gauge
    private let up: Counter
    private let down: Counter
    private let exits: Counter
    private let failures: Gauge

    init(policy: String) {
        let dimensions = [("policy", policy)]
        desired = Gauge(label: "baedal_autoscaler_desired_instances", dimensions: dimensions)
        running = Gauge(label: "baedal_autoscaler_running_instances", dimensions: dimensions)
        lag = Gauge(label: "baedal_autoscaler_lag", dimensions: dimensions)
        pending = Gauge(label: "baedal_autoscaler_pending", dimensions: dimensions)
        up = Counter(label: "baedal_autoscaler_scalings_total", dimensions: dimensions + [("direction", "up")])
        down = Counter(label: "baedal_autoscaler_scalings_total", dimensions: dimensions + [("direction", "down")])
        exits = Counter(label: "baedal_autoscaler_instance_exits_total", dimensions: dimensions)
        failures = Gauge(label: "baedal_autoscaler_instance_failures", dimensions: dimensions)
        failures.record(0)
    }

    func exited() { exits.increment() }

    func recordFailures(_ count: Int) { failures.record(count) }

    func record(_ decision: ScalingDecision, running count: Int) {
        desired.record(decision.wanted)
        running.record(count)
        lag.record(decision.backlog.lag)
        pending.record(decision.backlog.pending)
        switch decision.change {
        case .up: up.increment()
        case .down: down.increment()
        case .none: break
        }
    }
}
