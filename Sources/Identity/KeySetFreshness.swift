/// How long a fetched key set is used before it is fetched again: its `Cache-Control: max-age`,
/// kept within bounds. Below a minute a provider that says `no-cache` (Keycloak does) would be
/// asked on every request after the first minute; beyond a day a key the provider removed (a
/// leaked one) would go on being trusted for too long. Without the header (and for a `file:` set)
/// ten minutes.
public enum KeySetFreshness {
    public static let minimumSeconds = 60
    public static let maximumSeconds = 86_400
    public static let unspecifiedSeconds = 600

    /// Seconds from a `Cache-Control` header's value (nil: no header).
    public static func seconds(cacheControl: String?) -> Int {
        guard let cacheControl else { return unspecifiedSeconds }
        var seconds: Int?
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces().lowercased() }
            switch parts.first {
            case "no-cache", "no-store": return minimumSeconds
            case "max-age" where parts.count == 2:
                // Digits only; a number too long for Int is simply long (the bound applies).
                let digits = parts[1].trimmingCharacters(of: "\"")
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
                seconds = digits.count > 9 ? maximumSeconds : Int(digits)
            default: continue
            }
        }
        guard let seconds else { return unspecifiedSeconds }
        return min(max(seconds, minimumSeconds), maximumSeconds)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension String {
    fileprivate func trimmingCharacters(of character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}
