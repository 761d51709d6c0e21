import Contract
extension StandardMiddleware {
    /// A dead letter replayed by `baedalctl dead replay` goes back on its stream marked
    /// `replayFor=<group>`: only that group handles it, every other group only acknowledges it,
    /// so a replay never counts twice for the policies that had handled it already.
    public static func replayedOnlyFor(_ policy: String) -> Middleware {
        { next in
            { message in
                if let target = message.fields.first(where: { $0.name == DeadLetter.replayField })?.value,
                   !target.elementsEqual(policy.utf8) { return .none }
                return try await next(message)
            }
        }
    }
}
