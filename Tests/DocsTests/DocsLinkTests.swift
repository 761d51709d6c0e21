import Foundation
import Testing
import TestSupport

/// The docs are one set of pages that link to each other: `README.md` and every `docs/**/*.md`.
/// A relative link must name a file of the repository, and a `#anchor` must name a heading of its
/// target as GitHub renders it; nothing may link outside the repository with a relative path
/// (`../shared/CONTRACT.md` reads on one machine and is broken everywhere else).
@Suite("Docs: every relative link resolves")
struct DocsLinkTests {
    @Test func everyRelativeLinkInTheReadmeAndDocsResolves() throws {
        let root = packageRoot()
        let pages = try MarkdownLinks.pages(under: root)
        #expect(pages.map(\.path).contains(root.appendingPathComponent("README.md").standardizedFileURL.path))
        #expect(pages.count > 1, "no docs/ pages found under \(root.path)")
        let (checked, problems) = try MarkdownLinks.check(pages, root: root)
        #expect(checked > 20, "only \(checked) relative links found: is the parser still finding links?")
        #expect(problems.isEmpty, "broken links:\n\(problems.joined(separator: "\n"))")
    }

    /// The check itself: each kind of broken link is reported, and good ones are not.
    @Test func brokenLinksOfEveryKindAreReported() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-docs-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let docs = root.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("../shared-\(root.lastPathComponent)").standardizedFileURL,
                                                withIntermediateDirectories: true)
        let outside = root.appendingPathComponent("../shared-\(root.lastPathComponent)/CONTRACT.md").standardizedFileURL
        defer { try? FileManager.default.removeItem(at: outside.deletingLastPathComponent()) }
        try "# Outside\n".write(to: outside, atomically: true, encoding: .utf8)
        try """
        # Baedal

        Good: [api](docs/api.md), [rules](docs/api.md#input-rules-what-is-refused-and-why), [here](#baedal),
        [second](docs/api.md#errors-1), [web](https://example.com/x), ![image](docs/console.png).
        In code, not links: `[x](missing.md)` and

        ```sh
        echo "[y](missing-too.md)"
        ```

        Broken: [gone](docs/gone.md), [anchor](docs/api.md#no-such-heading), [self](#nowhere),
        [outside](../shared-\(root.lastPathComponent)/CONTRACT.md).

        [ref]: docs/also-gone.md
        """.write(to: root.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try """
        # The HTTP API

        ## Input rules: what is refused, and why

        ## Errors

        ## Errors

        Back to the [front page](../README.md#baedal) and [nowhere](../README.md#nowhere).
        """.write(to: docs.appendingPathComponent("api.md"), atomically: true, encoding: .utf8)
        try Data().write(to: docs.appendingPathComponent("console.png"))

        let pages = try MarkdownLinks.pages(under: root)
        #expect(pages.map(\.lastPathComponent).sorted() == ["README.md", "api.md"])
        let (checked, problems) = try MarkdownLinks.check(pages, root: root)
        #expect(checked == 12)
        #expect(problems.count == 6, "\(problems.joined(separator: "\n"))")
        for expected in ["README.md:11: docs/gone.md: no such file",
                         "README.md:11: docs/api.md#no-such-heading: no heading of docs/api.md has the anchor 'no-such-heading'",
                         "README.md:11: #nowhere: no heading of README.md has the anchor 'nowhere'",
                         "README.md:12: ../shared-\(root.lastPathComponent)/CONTRACT.md: leaves the repository",
                         "README.md:14: docs/also-gone.md: no such file",
                         "docs/api.md:9: ../README.md#nowhere: no heading of README.md has the anchor 'nowhere'"] {
            #expect(problems.contains(expected), "missing: \(expected)\nreported:\n\(problems.joined(separator: "\n"))")
        }
    }

    @Test(arguments: [
        ("Input rules: what is refused, and why", "input-rules-what-is-refused-and-why"),
        ("Baedal — the public contract", "baedal--the-public-contract"),
        ("Redis keys (prefix `baedal`)", "redis-keys-prefix-baedal"),
        ("The flow's lag", "the-flows-lag"),
        ("0001: a hand-written JSON reader", "0001-a-hand-written-json-reader"),
        ("What `BAEDAL_MIN_REPLICAS` buys", "what-baedal_min_replicas-buys"),
        ("See [the API](api.md) first", "see-the-api-first"),
        ("주문 상태 (Order status)", "주문-상태-order-status"),
    ])
    func headingsBecomeGitHubAnchors(_ heading: String, _ anchor: String) {
        #expect(MarkdownLinks.slug(heading) == anchor)
    }
}

/// Reads Markdown the way the link check needs: headings (their GitHub anchors) and the targets
/// of links, images and reference definitions, outside fenced code blocks and code spans.
enum MarkdownLinks {
    /// `README.md` at the root and every `.md` under `docs/`, sorted.
    static func pages(under root: URL) throws -> [URL] {
        var pages = [root.appendingPathComponent("README.md")]
        let docs = root.appendingPathComponent("docs")
        if let walker = FileManager.default.enumerator(at: docs, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where url.pathExtension == "md" { pages.append(url) }
        }
        return pages.map(\.standardizedFileURL).sorted { $0.path < $1.path }
    }

    /// Checks every relative link of `pages`; returns how many were checked and one line per
    /// problem: `<page>:<line>: <target>: <why>`, the page relative to `root`.
    static func check(_ pages: [URL], root: URL) throws -> (checked: Int, problems: [String]) {
        let root = root.standardizedFileURL
        var anchors: [String: Set<String>] = [:]
        func anchorsOf(_ file: URL) throws -> Set<String> {
            if let known = anchors[file.path] { return known }
            let found = Set(headings(in: try String(contentsOf: file, encoding: .utf8)).map(\.anchor))
            anchors[file.path] = found
            return found
        }
        var checked = 0
        var problems: [String] = []
        for page in pages {
            let text = try String(contentsOf: page, encoding: .utf8)
            let name = relative(page, to: root)
            for link in links(in: text) {
                if link.target.isEmpty || hasScheme(link.target) { continue }
                checked += 1
                func report(_ why: String) { problems.append("\(name):\(link.line): \(link.target): \(why)") }
                let (path, fragment) = split(link.target)
                let file: URL
                if path.isEmpty {
                    file = page
                } else {
                    let decoded = path.removingPercentEncoding ?? path
                    file = (decoded.hasPrefix("/") ? root.appendingPathComponent(String(decoded.dropFirst()))
                                                    : page.deletingLastPathComponent().appendingPathComponent(decoded)).standardizedFileURL
                    guard file.path == root.path || file.path.hasPrefix(root.path + "/") else {
                        report("leaves the repository")
                        continue
                    }
                    guard FileManager.default.fileExists(atPath: file.path) else {
                        report("no such file")
                        continue
                    }
                }
                guard let fragment, !fragment.isEmpty, file.pathExtension == "md" else { continue }
                let anchor = fragment.removingPercentEncoding ?? fragment
                if !(try anchorsOf(file)).contains(anchor) {
                    report("no heading of \(relative(file, to: root)) has the anchor '\(anchor)'")
                }
            }
        }
        return (checked, problems)
    }

    /// Every ATX heading (`#` … `######`) outside fenced code, with its anchor; repeated anchors
    /// get `-1`, `-2`, … as GitHub numbers them.
    static func headings(in text: String) -> [(text: String, anchor: String)] {
        var seen: [String: Int] = [:]
        var result: [(text: String, anchor: String)] = []
        for (_, line) in prose(text) {
            let trimmed = line.drop { $0 == " " }
            guard line.count - trimmed.count <= 3, trimmed.hasPrefix("#") else { continue }
            let level = trimmed.prefix { $0 == "#" }.count
            let rest = trimmed.dropFirst(level)
            guard level <= 6, rest.isEmpty || rest.first == " " || rest.first == "\t" else { continue }
            var heading = rest.trimmingCharacters(in: .whitespaces)
            // A closing sequence of #s is not part of the heading.
            if let closing = heading.range(of: #"\s+#+$"#, options: .regularExpression) { heading.removeSubrange(closing) }
            let base = slug(heading)
            let count = seen[base, default: 0]
            seen[base] = count + 1
            result.append((heading, count == 0 ? base : "\(base)-\(count)"))
        }
        return result
    }

    /// GitHub's anchor for a heading: its text as rendered (links become their text, code spans
    /// and emphasis lose their marks), lowercased, everything but letters, marks, digits, `_`,
    /// `-` and spaces removed, and each space a `-`.
    static func slug(_ heading: String) -> String {
        var text = heading.replacingOccurrences(of: #"!?\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
        text = text.replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression)
        var slug = ""
        for scalar in text.lowercased().unicodeScalars {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
                slug.unicodeScalars.append(scalar)
            default:
                if scalar == "-" { slug.append("-") } else if scalar == " " { slug.append("-") }
            }
        }
        return slug
    }

    /// The targets of inline links and images (`[text](target "title")`, `![alt](target)`) and of
    /// reference definitions (`[label]: target`), outside fenced code and code spans.
    static func links(in text: String) -> [(line: Int, target: String)] {
        let inline = try! NSRegularExpression(pattern: #"\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)"#)
        let definition = try! NSRegularExpression(pattern: #"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?"#)
        var result: [(line: Int, target: String)] = []
        for (number, line) in prose(text) {
            let visible = line.replacingOccurrences(of: #"(`+)(?:(?!\1).)+?\1"#, with: "", options: .regularExpression)
            let range = NSRange(visible.startIndex..., in: visible)
            for regex in [inline, definition] {
                for match in regex.matches(in: visible, range: range) {
                    guard let target = Range(match.range(at: 1), in: visible) else { continue }
                    result.append((number, String(visible[target])))
                }
            }
        }
        return result
    }

    /// The lines outside fenced code blocks, numbered from 1.
    static func prose(_ text: String) -> [(Int, String)] {
        var fence: String?
        var result: [(Int, String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open), trimmed.drop(while: { $0 == open.first }).allSatisfy(\.isWhitespace) { fence = nil }
                continue
            }
            if line.count - trimmed.count <= 3, trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix { $0 == trimmed.first })
                continue
            }
            result.append((index + 1, String(line)))
        }
        return result
    }

    static func hasScheme(_ target: String) -> Bool {
        target.range(of: #"^[A-Za-z][A-Za-z0-9+.-]*:"#, options: .regularExpression) != nil
    }

    static func split(_ target: String) -> (path: String, fragment: String?) {
        guard let hash = target.firstIndex(of: "#") else { return (target, nil) }
        return (String(target[..<hash]), String(target[target.index(after: hash)...]))
    }

    static func relative(_ file: URL, to root: URL) -> String {
        let path = file.standardizedFileURL.path
        return path.hasPrefix(root.path + "/") ? String(path.dropFirst(root.path.count + 1)) : path
    }
}
