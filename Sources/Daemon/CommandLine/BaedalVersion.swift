/// The version of every Baedal executable (`--version`), in one place: a release bumps it.
public enum BaedalVersion {
    public static let current = "0.14.0"
}
