/// One environment variable a process reads, as its `--help` (and man page) lists it. Each settings
/// type keeps the list of what it reads beside the code that reads it.
public struct EnvironmentSetting: Sendable, Hashable {
    public var name: String
    /// What applies when it is unset or empty, as a person reads it (`8080`, `none`, `<hostname>-<pid>`).
    public var defaultValue: String
    public var meaning: String

    public init(_ name: String, default defaultValue: String, _ meaning: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.meaning = meaning
    }
}

extension [EnvironmentSetting] {
    /// The `ENVIRONMENT` part of a command's help: a variable and its default per line, its
    /// meaning indented below. Each variable once, in the order given.
    public func helpSection(_ title: String = "Environment (unset or empty: the default)") -> String {
        var seen = Set<String>()
        let items = filter { seen.insert($0.name).inserted }.map { HelpText.item("\($0.name) (default: \($0.defaultValue))", $0.meaning) }
        return ([title + ":"] + items).joined(separator: "\n")
    }
}

/// Help text that keeps its indentation: argument-parser wraps a long line of a discussion at the
/// screen's width back to column 0, so lines are kept short here.
public enum HelpText {
    /// `  term` and below it `description`, indented by six and wrapped at 72 columns (a man page indents the help by five more).
    public static func item(_ term: String, _ description: String) -> String {
        "  \(term)\n" + wrapped(description, indent: 6)
    }

    /// `text` in lines of at most `width` columns (a longer word stands alone), each indented.
    public static func wrapped(_ text: String, indent: Int, width: Int = 72) -> String {
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && margin.count + line.count + 1 + word.count > width {
                lines.append(margin + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(margin + line) }
        return lines.joined(separator: "\n")
    }
}
