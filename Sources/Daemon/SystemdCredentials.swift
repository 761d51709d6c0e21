#if canImport(Glibc)
import Glibc
#endif

/// Secrets handed over by systemd's `LoadCredential=` (or `SetCredential=`): files in the
/// directory `$CREDENTIALS_DIRECTORY`, readable by the service only, never in its environment
/// (which `systemctl show` and /proc/PID/environ reveal).
public enum SystemdCredentials {
    /// A setting from the environment when it is there, else the credential of that name (its
    /// content without a trailing newline), else nil.
    public static func setting(_ name: String, credential: String, _ variables: [String: String]) -> String? {
        if let value = variables[name], !value.isEmpty { return value }
        guard let directory = variables["CREDENTIALS_DIRECTORY"], !directory.isEmpty, !credential.contains("/") else { return nil }
        return read(directory + "/" + credential)
    }

    /// A small file's text (credentials are a few bytes; at most 64 KiB is read).
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 65_536)
        let count = fread(&bytes, 1, bytes.count, file)
        var text = String(decoding: bytes[..<count], as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
