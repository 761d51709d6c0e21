import AsyncHTTPClient
import Foundation
import NIOCore
import Redis
import Testing
import TestSupport

/// Issue 22 (alerts): ops/prometheus's rules pass `promtool check rules` and their own unit tests
/// (`promtool test rules`), every alert is complete (for, severity, summary, description, a runbook
/// section that exists), and every metric the rules and the Grafana dashboard read is one the real
/// processes export: a deployment of real processes takes an order, dead-letters an entry and
/// loses Redis for a moment, and each process's /metrics is scraped.
@Suite("Alerting rules and dashboard: promtool, and only metrics the processes export", .serialized)
struct AlertRulesTests {
    static let directory = packageRoot().appendingPathComponent("ops/prometheus")
    static let rulesFile = directory.appendingPathComponent("baedal-alerts.yml")
    static let testsFile = directory.appendingPathComponent("baedal-alerts.test.yml")
    static let configFile = directory.appendingPathComponent("prometheus.yml")
    static let dashboardFile = directory.appendingPathComponent("baedal-dashboard.json")
    static let runbook = packageRoot().appendingPathComponent("docs/runbook.md")

    /// Names Prometheus makes itself, not the processes.
    static let prometheusOwn: Set<String> = ["up"]
    /// Counters only a Sentinel (`redis-sentinel://`) or cluster (`redis-cluster://`) deployment
    /// registers (writes wait for replicas only there): checked against the sources instead of a
    /// single Redis's scrape.
    static let topologyOnly: Set<String> = ["baedal_redis_failovers_total", "baedal_redis_cluster_map_changes_total", "baedal_writes_unreplicated_total"]

    // MARK: promtool

    static func promtool() throws -> String {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/promtool" } + ["/usr/bin/promtool"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("promtool is missing: run scripts/install-deps.sh (it installs Debian's prometheus package, which ships /usr/bin/promtool)")
        }
        return path
    }

    @Test func theRulesPassPromtoolCheckAndTheirUnitTests() async throws {
        let promtool = try Self.promtool()
        let check = try await runProgram(promtool, ["check", "rules", Self.rulesFile.path])
        #expect(check.status == 0 && check.output.contains("SUCCESS"), "promtool check rules:\n\(check.output)")
        let tests = try await runProgram(promtool, ["test", "rules", Self.testsFile.path], seconds: 120)
        #expect(tests.status == 0 && tests.output.contains("SUCCESS"), "promtool test rules:\n\(tests.output)")
        let config = try await runProgram(promtool, ["check", "config", Self.configFile.path])
        #expect(config.status == 0 && config.output.contains("SUCCESS"), "promtool check config:\n\(config.output)")
        // The dashboard's queries are PromQL too: checked as recording rules (Grafana's variables
        // replaced by what they stand for).
        let dashboard = try Self.dashboardExpressions()
        let asRules = "groups:\n  - name: dashboard\n    rules:\n" + dashboard.enumerated().map { index, expression in
            let concrete = expression.replacingOccurrences(of: "$__rate_interval", with: "5m").replacingOccurrences(of: "$policy", with: ".*")
            return "      - record: dashboard:query\(index)\n        expr: '\(concrete.replacingOccurrences(of: "'", with: "''"))'\n"
        }.joined()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-dashboard-\(UUID().uuidString.prefix(8)).rules.yml")
        try asRules.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let queries = try await runProgram(promtool, ["check", "rules", file.path])
        #expect(queries.status == 0 && queries.output.contains("SUCCESS: \(dashboard.count) rules found"), "the dashboard's queries:\n\(queries.output)")
    }

    @Test func everyAlertIsCompleteLinksItsRunbookSectionAndIsTestedBothWays() throws {
        let alerts = try Self.alerts()
        #expect(alerts.count >= 10, "\(alerts.map(\.name))")
        let runbook = try String(contentsOf: Self.runbook, encoding: .utf8)
        let anchors = Set(runbook.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { Self.anchor(String($0.dropFirst(3))) })
        let tests = try String(contentsOf: Self.testsFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for alert in alerts {
            #expect(alert.fields["for"] != nil, "\(alert.name) has no for:")
            #expect(["critical", "warning", "info"].contains(alert.fields["severity"] ?? ""), "\(alert.name): severity \(alert.fields["severity"] ?? "none")")
            #expect(!(alert.fields["summary"] ?? "").isEmpty && !(alert.fields["description"] ?? "").isEmpty, "\(alert.name) lacks its summary or description")
            let url = alert.fields["runbook_url"] ?? ""
            #expect(url == "docs/runbook.md#\(alert.name.lowercased())" && anchors.contains(alert.name.lowercased()),
                    "\(alert.name): runbook_url '\(url)' must be docs/runbook.md#\(alert.name.lowercased()), a section '## \(alert.name)' of docs/runbook.md")
            // In the unit tests: an evaluation expecting it to fire and one expecting silence.
            var fires = false, silent = false
            for (index, line) in tests.enumerated() where line.trimmingCharacters(in: .whitespaces) == "alertname: \(alert.name)" {
                let next = index + 1 < tests.count ? tests[index + 1].trimmingCharacters(in: .whitespaces) : ""
                if next == "exp_alerts:" { fires = true } else { silent = true }
            }
            #expect(fires && silent, "\(alert.name): baedal-alerts.test.yml must have a case where it fires (\(fires)) and one where it does not (\(silent))")
        }
    }

    @Test func theDashboardIsJSONThatGrafanaCanImport() throws {
        let data = try Data(contentsOf: Self.dashboardFile)
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(dashboard["title"] as? String == "Baedal")
        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        #expect(panels.filter { $0["type"] as? String != "row" }.count >= 10)
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(Set(ids).count == panels.count, "every panel has its own id")
        #expect(panels.allSatisfy { $0["gridPos"] is [String: Any] })
        let names = try Self.dashboardExpressions().flatMap(Self.metricNames)
        for wanted in ["baedal_orders_placed_total", "baedal_group_lag", "baedal_group_pending", "baedal_events_total",
                       "http_server_request_duration_seconds_bucket", "http_server_requests_total", "baedal_payment_circuit_state",
                       "baedal_autoscaler_running_instances", "baedal_autoscaler_desired_instances"] {
            #expect(names.contains(wanted), "the dashboard has no panel on \(wanted)")
        }
    }

    /// The names every rule and every dashboard query reads, against the /metrics of real
    /// processes: the API, the gateway, a worker of each policy, and the autoscaler.
    @Test func everyMetricTheRulesAndTheDashboardReadIsExportedByTheProcesses() async throws {
        let expressions = try Self.alerts().map(\.expression) + Self.dashboardExpressions()
        let wanted = Set(expressions.flatMap(Self.metricNames)).subtracting(Self.prometheusOwn)
        #expect(wanted.count >= 15 && wanted.contains("baedal_group_lag") && wanted.contains("http_server_requests_total"), "names read: \(wanted.sorted())")

        // The sentinel and cluster counters: registered by the code that follows those topologies.
        let sources = try Self.sourceTexts()
        for name in wanted.intersection(Self.topologyOnly) {
            #expect(sources.contains("Counter(label: \"\(name)\""), "\(name) is registered nowhere in Sources/")
        }

        let deployment = try await Deployment(workers: [])
        var ports: [String: Int] = ["baedal-api": deployment.apiPort, "baedal-payment": deployment.paymentPort]
        for policy in Deployment.policies {
            let port = try freePort()
            try deployment.startWorker(policy, ["BAEDAL_METRICS_PORT": String(port)])
            ports["baedal-worker \(policy)"] = port
        }
        let autoscalerPort = try freePort()
        let autoscaler = try BaedalProcess("baedal-autoscaler", ["--launcher", "process", "--policy", "notification:1:1", "--interval", "0.5",
                                                                 "--metrics-port", String(autoscalerPort)], environment: deployment.base)
        ports["baedal-autoscaler"] = autoscalerPort

        // One order through the flow, one entry no policy can read (a dead letter), and Redis
        // lost for a moment (every process reconnects).
        let customer = try await deployment.customer("c-alerts")
        let order = try await deployment.placed(customer)
        #expect(await eventually(seconds: 30) { (try? await deployment.call("GET", "/orders/\(order)", token: customer).status) == 200 })
        _ = try deployment.redisCommand("XADD", "baedal:events:order", "*", "type", "OrderPlaced", "orderId", "o-malformed",
                                        "at", "1700000000000", "data", "not json")
        #expect(await eventually(seconds: 30) { ((try? deployment.redisCommand("XLEN", "baedal:dead"))?.int ?? 0) > 0 }, "\(deployment.logs)")
        // baedal_redis_up (BaedalRedisUnreachable's metric) follows: 0 while Redis is gone, 1 again after.
        func redisUp(_ port: Int) async -> Double? {
            guard let text = try? await Self.scrape(port) else { return nil }
            return text.split(separator: "\n").first { $0.hasPrefix("baedal_redis_up ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(await eventually(seconds: 15) { await redisUp(deployment.apiPort) == 1 })
        deployment.redis.stop()
        #expect(await eventually(seconds: 15) { (try? await deployment.call("GET", "/health/ready").status) == 503 })
        #expect(await eventually(seconds: 15) { await redisUp(deployment.apiPort) == 0 }, "the API's gauge says Redis is unreachable")
        try deployment.redis.start()
        #expect(await eventually(seconds: 15) { (try? await deployment.call("GET", "/health/ready").status) == 200 })
        #expect(await eventually(seconds: 15) { await redisUp(deployment.apiPort) == 1 })

        let exportable = wanted.subtracting(Self.topologyOnly)
        // Per process, each sample name with the label names it carries.
        var exported: [String: [String: Set<String>]] = [:]
        var labelsOf: [String: Set<String>] = [:]
        let found = await eventually(seconds: 60, every: 250) {
            for (process, port) in ports {
                if let text = try? await Self.scrape(port) { exported[process] = Self.exportedLabels(text) }
            }
            labelsOf = [:]
            for metrics in exported.values { labelsOf.merge(metrics) { $0.union($1) } }
            return exportable.isSubset(of: Set(labelsOf.keys))
        }
        #expect(found, """
            read by the rules or the dashboard and exported by no process: \(exportable.subtracting(labelsOf.keys).sorted())
            scraped: \(exported.mapValues { $0.count }.sorted { $0.key < $1.key })
            \(deployment.logs.suffix(4000))
            == autoscaler
            \(autoscaler.log.suffix(2000))
            """)
        // The labels they select on (`metric{label=…}`) are labels of those metrics, and the labels
        // they group or match on (`by (…)`, `on (…)`) are labels of the metrics they read; job and
        // instance are Prometheus's own.
        var problems: [String] = []
        for expression in expressions {
            for (metric, labels) in Self.selectorLabels(expression) where exportable.contains(metric) {
                for label in labels where !["job", "instance"].contains(label) && !(labelsOf[metric] ?? []).contains(label) {
                    problems.append("\(metric) has no label \(label), exported: \((labelsOf[metric] ?? []).sorted()), in: \(expression)")
                }
            }
            let read = Set(Self.metricNames(expression))
            guard read.isSubset(of: exportable) else { continue }
            let available = read.reduce(into: Set(["job", "instance"]).union(Self.replacedLabels(expression))) { $0.formUnion(labelsOf[$1] ?? []) }
            for label in Self.groupingLabels(expression) where !available.contains(label) {
                problems.append("no metric of this expression has the label \(label): \(expression)")
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        autoscaler.signal(SIGTERM)
        _ = await autoscaler.waitForExit()
        await deployment.stopWorkers()
    }

    // MARK: Reading the rules, the dashboard and the scrapes

    struct Alert {
        var name: String
        var expression = ""
        /// for, severity, summary, description, runbook_url (as written, unquoted).
        var fields: [String: String] = [:]
    }

    /// The alerts of baedal-alerts.yml, read line by line: `- alert: NAME`, then its keys; an
    /// `expr: |` block runs while its lines are indented deeper than `expr:`.
    static func alerts() throws -> [Alert] {
        let lines = try String(contentsOf: rulesFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var alerts: [Alert] = []
        var index = 0
        func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        while index < lines.count {
            let line = lines[index]
            let text = line.trimmingCharacters(in: .whitespaces)
            index += 1
            if text.hasPrefix("- alert:") || text.hasPrefix("- record:") {
                alerts.append(Alert(name: unquote(String(text.split(separator: ":", maxSplits: 1)[1]))))
                if text.hasPrefix("- record:") { alerts[alerts.count - 1].fields["record"] = "yes" }
                continue
            }
            guard !alerts.isEmpty, !text.hasPrefix("#"), let colon = text.firstIndex(of: ":") else { continue }
            let key = String(text[..<colon])
            let value = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if key == "expr" {
                if value == "|" || value == ">" || value == "|-" || value == ">-" {
                    var block: [String] = []
                    while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).isEmpty || indentation(lines[index]) > indentation(line) {
                        block.append(lines[index].trimmingCharacters(in: .whitespaces))
                        index += 1
                    }
                    alerts[alerts.count - 1].expression = block.joined(separator: " ")
                } else {
                    alerts[alerts.count - 1].expression = unquote(value)
                }
            } else if ["for", "severity", "summary", "description", "runbook_url"].contains(key) {
                alerts[alerts.count - 1].fields[key] = unquote(value)
            }
        }
        return alerts.filter { $0.fields["record"] == nil }
    }

    static func unquote(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.count >= 2, let first = trimmed.first, first == "\"" || first == "'", trimmed.last == first {
            return String(trimmed.dropFirst().dropLast())
        }
        return trimmed
    }

    /// Every `expr` of the dashboard's panels, and the metric of each `label_values(metric, …)` variable.
    static func dashboardExpressions() throws -> [String] {
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: dashboardFile)) as? [String: Any] ?? [:]
        var expressions: [String] = []
        func visit(_ panels: [[String: Any]]) {
            for panel in panels {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    if let expression = target["expr"] as? String { expressions.append(expression) }
                }
                visit(panel["panels"] as? [[String: Any]] ?? [])
            }
        }
        visit(dashboard["panels"] as? [[String: Any]] ?? [])
        for variable in (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] {
            let query = variable["definition"] as? String ?? ""
            if let range = query.range(of: #"label_values\(\s*[a-zA-Z_:][a-zA-Z0-9_:]*"#, options: .regularExpression) {
                expressions.append(String(query[range].dropFirst("label_values(".count)).trimmingCharacters(in: .whitespaces))
            }
        }
        return expressions
    }

    static let keywords: Set<String> = ["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
                                        "bool", "offset", "inf", "nan", "Inf", "NaN"]

    /// The metric names a PromQL expression reads: what is left once strings, label matchers,
    /// ranges, offsets and grouping clauses are removed, that is neither a function nor a keyword.
    static func metricNames(_ expression: String) -> [String] {
        var text = expression
        for pattern in [#""(?:[^"\\]|\\.)*""#, #"'(?:[^'\\]|\\.)*'"#, #"\{[^}]*\}"#, #"\[[^\]]*\]"#,
                        #"\boffset\s+[0-9a-z]+"#, #"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        var names: [String] = []
        let regex = try! NSRegularExpression(pattern: #"[a-zA-Z_:][a-zA-Z0-9_:]*"#)
        let string = text as NSString
        for match in regex.matches(in: text, range: NSRange(location: 0, length: string.length)) {
            let name = string.substring(with: match.range)
            let after = string.substring(from: match.range.location + match.range.length).drop { $0 == " " }
            // A function call, a keyword, or part of a number (1e3) is no metric.
            if after.first == "(" || keywords.contains(name) { continue }
            if match.range.location > 0, let previous = string.substring(with: NSRange(location: match.range.location - 1, length: 1)).first,
               previous.isNumber || previous == "." {
                continue
            }
            names.append(name)
        }
        return names
    }

    /// The sample names of a Prometheus text exposition, each with the label names it carries.
    static func exportedLabels(_ text: String) -> [String: Set<String>] {
        let label = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)=\""#)
        var exported: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let end = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { continue }
            var labels = exported[String(line[..<end])] ?? []
            if line[end] == "{" {
                let rest = String(line[line.index(after: end)...]) as NSString
                for match in label.matches(in: rest as String, range: NSRange(location: 0, length: rest.length)) {
                    labels.insert(rest.substring(with: match.range(at: 1)))
                }
            }
            exported[String(line[..<end])] = labels
        }
        return exported
    }

    /// Each selector of an expression with the label names it matches on: `metric{label op "value", …}`.
    static func selectorLabels(_ expression: String) -> [(metric: String, labels: [String])] {
        let selector = try! NSRegularExpression(pattern: #"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}"#)
        let matcher = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*""#)
        let text = expression as NSString
        return selector.matches(in: expression, range: NSRange(location: 0, length: text.length)).map { match in
            let inside = text.substring(with: match.range(at: 2)) as NSString
            let labels = matcher.matches(in: inside as String, range: NSRange(location: 0, length: inside.length)).map { inside.substring(with: $0.range(at: 1)) }
            return (text.substring(with: match.range(at: 1)), labels)
        }
    }

    /// The labels of an expression's `by`, `without`, `on`, `ignoring`, `group_left` and `group_right` lists.
    static func groupingLabels(_ expression: String) -> [String] {
        let clause = try! NSRegularExpression(pattern: #"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)"#)
        let text = expression as NSString
        return clause.matches(in: expression, range: NSRange(location: 0, length: text.length)).flatMap { match in
            text.substring(with: match.range(at: 1)).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// The labels an expression makes itself: `label_replace(v, "dst", "$1…", "src", "regex")`'s `dst`.
    static func replacedLabels(_ expression: String) -> Set<String> {
        let argument = try! NSRegularExpression(pattern: #""([a-zA-Z_][a-zA-Z0-9_]*)",\s*"\$"#)
        let text = expression as NSString
        return Set(argument.matches(in: expression, range: NSRange(location: 0, length: text.length)).map { text.substring(with: $0.range(at: 1)) })
    }

    static func scrape(_ port: Int) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 4 << 20))
    }

    static func sourceTexts() throws -> String {
        let root = packageRoot().appendingPathComponent("Sources")
        var texts = ""
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            if file.pathExtension == "swift" { texts += (try? String(contentsOf: file, encoding: .utf8)) ?? "" }
        }
        return texts
    }

    /// GitHub's anchor of a heading: lower case, spaces to dashes, punctuation dropped.
    static func anchor(_ heading: String) -> String {
        String(heading.lowercased().compactMap { character -> Character? in
            if character == " " { return "-" }
            return character.isLetter || character.isNumber || character == "-" || character == "_" ? character : nil
        })
    }
}
