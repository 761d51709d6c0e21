/// The order Redis gives stream entry ids (`<ms>-<seq>`, compared as two numbers): what a range
/// of ids (`XPENDING start end`, `XRANGE`) assumes.
public enum StreamIDOrder {
    /// Whether `a` comes before `b` (or equals it). Ids that are not `<ms>-<seq>` compare as text.
    public static func ascending(_ a: String, _ b: String) -> Bool {
        guard let x = parts(a), let y = parts(b) else { return a <= b }
        return x.ms != y.ms ? x.ms < y.ms : x.seq <= y.seq
    }

    private static func parts(_ id: String) -> (ms: UInt64, seq: UInt64)? {
        guard let dash = id.utf8.firstIndex(of: UInt8(ascii: "-")),
              let ms = UInt64(id[..<dash]), let seq = UInt64(id[id.index(after: dash)...]) else { return nil }
        return (ms, seq)
    }
}
