/// haprov's version, printed by `haprov --version`.
public enum HaprovVersion {
    public static let current = "0.1.0"
}
