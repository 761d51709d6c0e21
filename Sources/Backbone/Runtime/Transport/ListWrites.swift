import Contract

/// A batch's writes in order, with the pushes to a capped list merged: `LPUSH k a`, `LTRIM k 0 n`,
/// `LPUSH k b`, `LTRIM k 0 n` (a stage's durations, one push per order) become `LPUSH k a b`,
/// `LTRIM k 0 n`: the same list, two commands instead of four (issue 20). Only writes of the same
/// key are ever compared, and writes to other keys commute with them.
///
/// Why it is the same list: with `L` the list before, the four commands leave `[b, a] + L[..<n-2]`
/// (the first trim keeps `[a] + L[..<n-1]`, the push makes it `[b, a] + L[..<n-1]`, the trim cuts
/// it to `n`), and so do the two (`LPUSH k a b` pushes `a` then `b`).
struct ListWrites {
    enum Op {
        case increment(String, String, Int)
        case append(String, [StreamField])
        case command(String, Effects.KeyType, [String])
        /// `LPUSH key values…` (pushed in this order: the last ends up first).
        case push(String, [String])
        /// `LTRIM key 0 keep-1`.
        case trim(String, Int)

        var key: String {
            switch self {
            case .increment(let key, _, _), .append(let key, _), .command(let key, _, _), .push(let key, _), .trim(let key, _): key
            }
        }
    }

    private var ops: [Op?] = []
    /// For each op, the position of the op before it on the same key.
    private var previousOnKey: [Int?] = []
    private var lastOnKey: [String: Int] = [:]

    mutating func add(_ op: Op) {
        let key = op.key
        let position = ops.count
        var previous = lastOnKey[key]
        // push(p) trim(t) push(q) + this trim, all of this key with the same cap: fold q into p, drop t and q.
        if case .trim(_, let keep) = op,
           let q = previous, case .push(_, let later)? = ops[q],
           let t = previousOnKey[q], case .trim(_, keep)? = ops[t],
           let p = previousOnKey[t], case .push(_, let earlier)? = ops[p] {
            ops[p] = .push(key, earlier + later)
            ops[t] = nil
            ops[q] = nil
            previous = p
        }
        ops.append(op)
        previousOnKey.append(previous)
        lastOnKey[key] = position
    }

    /// The writes to send, in order.
    var merged: [Op] { ops.compactMap { $0 } }
}
