import Autoscaling
import Backbone
import Contract
import Daemon
import Logging
import Policies
import Redis
import ServiceLifecycle

/// The HPA of this platform. Every interval, for each configured policy: read its backlog (lag and
/// pending, as `baedalctl status` shows them), decide with the `Scaler` (up at once, down after
/// the cool-down, within MIN…MAX), make the launcher's instances match, log the decision with the
/// figures behind it, update `/metrics`, and write the `AutoscalerView` to `<prefix>:autoscaler`.
///
/// Redis unreachable: instances stay as they are (started ones keep working; they retry Redis
/// themselves). systemd hears `READY=1` after the first interval that read Redis, `WATCHDOG=1`
/// from this loop, `STOPPING=1` on SIGTERM; then the views are removed and the launcher's
/// `shutdown()` runs (children: SIGTERM and wait).
public final class Autoscaler: Service, Sendable {
    private let settings: AutoscalerSettings
    private let launcher: any WorkerLauncher
    private let daemons: [PolicyDaemon]
    private let reader: BacklogReader
    private let redis: any ClosableRedisExecutor
    private let logger: Logger

    private struct PolicyState {
        var scaler: Scaler
        let metrics: AutoscalerMetrics
        var holding = false
        /// Instances that end on their own are started again only after a growing pause.
        var backoff: RestartBackoff
        /// When each instance number was started (ms on the loop's clock).
        var startedAt: [Int: Int64] = [:]
    }

    /// Every rule's policy must be in `PolicyCatalog` (the command line checks it).
    public init(settings: AutoscalerSettings, launcher: any WorkerLauncher, redis: RedisConfiguration, logger: Logger) {
        self.settings = settings
        self.launcher = launcher
        daemons = settings.rules.map { rule in
            guard let daemon = PolicyCatalog.daemon(named: rule.policy) else { preconditionFailure("unknown policy \(rule.policy)") }
            return daemon
        }
        // On a cluster, each partition's reads go to its slot's primary.
        let client: any ClosableRedisExecutor = redis.cluster != nil
            ? RedisExecutors.pool(redis, size: 1, logger: logger)
            : RedisClient(configuration: redis, label: "autoscaler", maxBackoffMilliseconds: 1_000, logger: logger)
        self.redis = client
        reader = BacklogReader(keySpace: settings.keySpace, redis: client)
        self.logger = logger
    }

    public func run() async throws {
        let started = ContinuousClock.now
        func clock() -> Int64 { (ContinuousClock.now - started).milliseconds }
        var states: [String: PolicyState] = [:]
        for rule in settings.rules {
            let running = (try? await launcher.survey(rule.policy))?.running.count ?? 0
            states[rule.policy] = PolicyState(
                scaler: Scaler(rule: rule, lagPerInstance: settings.lagPerInstance, coolDownMilliseconds: settings.coolDownMilliseconds,
                               running: running, at: clock()),
                metrics: AutoscalerMetrics(policy: rule.policy),
                backoff: RestartBackoff(firstMilliseconds: max(1_000, Int64(settings.intervalMilliseconds))))
        }
        logger.notice("starting", metadata: [
            "launcher": "\(launcher.kind)", "policies": "\(settings.rules.map { "\($0.policy):\($0.min):\($0.max)" }.joined(separator: ","))",
            "lagPerInstance": "\(settings.lagPerInstance)", "interval": "\(settings.interval)", "coolDown": "\(settings.coolDown)",
        ])
        var ready = false
        var redisDown = false
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let read = await self.tick(&states, at: clock(), redisWasDown: redisDown)
                redisDown = !read
                SystemdNotifier.notify("STATUS=\(read ? self.status(states) : "redis unreachable; instances kept as they are")")
                if read && !ready {
                    ready = true
                    SystemdNotifier.notify("READY=1")
                    self.logger.notice("ready")
                }
                SystemdNotifier.notify("WATCHDOG=1")
                let next = ContinuousClock.now + self.settings.interval
                while ContinuousClock.now < next && !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: min(.milliseconds(100), next - ContinuousClock.now))
                }
            }
        } onGracefulShutdown: {
            SystemdNotifier.notify("STOPPING=1")
        }
        logger.notice("stopping")
        _ = try? await redis.send(RedisCommand(["HDEL", settings.viewKey] + settings.rules.map(\.policy)))
        await launcher.shutdown()
        redis.close()
        logger.notice("stopped")
    }

    /// One interval. Returns whether Redis could be read.
    private func tick(_ states: inout [String: PolicyState], at now: Int64, redisWasDown: Bool) async -> Bool {
        let countLimit = settings.lagPerInstance.multipliedReportingOverflow(by: ScalingRule.maximumInstances).partialValue &+ 1
        let backlogs: [String: Backlog]?
        do {
            backlogs = try await reader.backlogs(of: daemons, countLimit: max(countLimit, 1))
            if redisWasDown { logger.notice("redis answers again") }
        } catch {
            if !redisWasDown { logger.warning("cannot read the backlogs; instances kept as they are", metadata: ["error": "\(error)"]) }
            backlogs = nil
        }
        var views: [AutoscalerView] = []
        let epoch = epochMilliseconds()
        for rule in settings.rules {
            guard var state = states[rule.policy] else { continue }
            defer { states[rule.policy] = state }
            let survey: LauncherSurvey
            do {
                survey = try await launcher.survey(rule.policy)
            } catch {
                logger.error("cannot tell which instances run", metadata: ["policy": "\(rule.policy)", "error": "\(error)"])
                continue
            }
            for ended in survey.ended {
                let news = state.backoff.ended(startedAt: state.startedAt.removeValue(forKey: ended.instance.number), at: now, reason: ended.reason)
                state.metrics.exited()
                let metadata: Logger.Metadata = [
                    "instance": "\(ended.instance)", "how": "\(ended.how)", "reason": "\(ended.reason)",
                    "failuresInARow": "\(state.backoff.failures)", "nextStartInMs": "\(max(0, (state.backoff.nextStart ?? now) - now))",
                ]
                if news {
                    logger.error("instance ended on its own; starting it again after a pause that grows while it keeps failing", metadata: metadata)
                } else {
                    logger.debug("instance ended on its own again", metadata: metadata)
                }
            }
            if state.backoff.failures > 0,
               survey.running.contains(where: { now - (state.startedAt[$0.number] ?? now) >= state.backoff.settlesMilliseconds }) {
                logger.notice("instances run again", metadata: ["policy": "\(rule.policy)", "failuresBefore": "\(state.backoff.failures)"])
                state.backoff.settled()
            }
            let wantedBefore = state.scaler.wanted
            let decision = backlogs.map { state.scaler.observe($0[rule.policy] ?? .empty, at: now) }
            let wanted = decision?.wanted ?? wantedBefore
            if let decision { log(decision, running: survey.running.count, at: now, state: &state) }
            let running = await reconcile(rule, survey: survey, wanted: wanted, state: &state, at: now)
            state.metrics.recordFailures(state.backoff.failures)
            if let decision {
                state.metrics.record(decision, running: running)
                var view = AutoscalerView(policy: rule.policy, min: rule.min, max: rule.max, running: running, wanted: wanted,
                                          backlog: decision.backlog.total, lag: decision.backlog.lag, pending: decision.backlog.pending,
                                          lagPerInstance: settings.lagPerInstance, at: epoch,
                                          intervalMilliseconds: settings.intervalMilliseconds)
                view.failures = state.backoff.failures
                view.lastFailure = state.backoff.failures > 0 ? state.backoff.lastReason : nil
                views.append(view)
            }
        }
        if !views.isEmpty {
            do {
                _ = try await redis.send(RedisCommand(["HSET", settings.viewKey] + views.flatMap { [$0.policy, $0.json] }))
            } catch {
                logger.warning("cannot write the autoscaler's view", metadata: ["error": "\(error)"])
            }
        }
        return backlogs != nil
    }

    /// One line per decision that changes something, with the figures behind it; the rest at debug.
    private func log(_ decision: ScalingDecision, running: Int, at now: Int64, state: inout PolicyState) {
        var metadata: Logger.Metadata = [
            "policy": "\(state.scaler.rule.policy)", "backlog": "\(decision.backlog.total)", "lag": "\(decision.backlog.lag)",
            "pending": "\(decision.backlog.pending)", "lagPerInstance": "\(settings.lagPerInstance)", "needed": "\(decision.needed)",
            "wanted": "\(decision.wanted)", "previous": "\(decision.previous)", "running": "\(running)",
            "min": "\(state.scaler.rule.min)", "max": "\(state.scaler.rule.max)",
        ]
        switch decision.change {
        case .up:
            state.holding = false
            logger.notice("scale up", metadata: metadata)
        case .down:
            state.holding = decision.holdingUntil != nil
            logger.notice("scale down: the backlog stayed low for the cool-down", metadata: metadata)
        case .none:
            if let until = decision.holdingUntil, !state.holding {
                state.holding = true
                metadata["coolDownLeftMs"] = "\(until - now)"
                logger.info("backlog low: holding the instances for the cool-down", metadata: metadata)
            } else {
                if decision.holdingUntil == nil { state.holding = false }
                logger.debug("decision", metadata: metadata)
            }
        }
    }

    /// Starts or stops instances until `wanted` run (numbers 1…MAX, lowest free first; the
    /// highest stop first); starts wait while the restart back-off holds them. Returns how many
    /// run and were not told to stop.
    private func reconcile(_ rule: ScalingRule, survey: LauncherSurvey, wanted: Int, state: inout PolicyState, at now: Int64) async -> Int {
        var running = survey.running.filter { $0.number <= rule.max }
        for instance in survey.running where instance.number > rule.max {
            await stop(instance)
        }
        if running.count > wanted {
            for instance in running.sorted(by: >).prefix(running.count - wanted) {
                if await stop(instance) { running.removeAll { $0 == instance } }
            }
        } else if running.count < wanted && state.backoff.mayStart(at: now) {
            let busy = survey.busy
            let free = (1...rule.max).filter { !busy.contains($0) }.prefix(wanted - running.count)
            for number in free {
                let instance = WorkerInstance(policy: rule.policy, number: number)
                do {
                    try await launcher.start(instance)
                    state.startedAt[number] = now
                    running.append(instance)
                } catch {
                    logger.error("cannot start an instance", metadata: ["instance": "\(instance)", "error": "\(error)"])
                }
            }
        }
        return running.count
    }

    @discardableResult
    private func stop(_ instance: WorkerInstance) async -> Bool {
        do {
            try await launcher.stop(instance)
            logger.info("instance told to stop (SIGTERM)", metadata: ["instance": "\(instance)"])
            return true
        } catch {
            logger.error("cannot stop an instance", metadata: ["instance": "\(instance)", "error": "\(error)"])
            return false
        }
    }

    private func status(_ states: [String: PolicyState]) -> String {
        "wanted: " + settings.rules.map { "\($0.policy) \(states[$0.policy]?.scaler.wanted ?? 0)" }.joined(separator: ", ")
    }
}
