import Foundation

/// The run's vault password: read once from `--vault-password-file` or
/// `HAPROV_VAULT_PASSWORD_FILE` (as Ansible, a file whose first line is the password, or an
/// executable that prints it), then used by every YAML file loaded with encrypted values.
public enum VaultPassword {
    public static let environmentVariable = "HAPROV_VAULT_PASSWORD_FILE"
    private static let lock = NSLock()
    nonisolated(unsafe) private static var password: Data?

    public static var current: Data? { lock.withLock { password } }

    /// Uses the password in `file`; an executable file is run and its output is the password.
    public static func use(file: String) throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw LoadError(problems: [Diagnostic(location: file, message: "the vault password file does not exist", fix: "--vault-password-file FILE")])
        }
        var text: String
        if FileManager.default.isExecutableFile(atPath: file) {
            let result = try LocalProcess.run([file], timeout: .seconds(60))
            guard result.succeeded else {
                throw LoadError(problems: [Diagnostic(location: file, message: "the vault password script failed (exit \(result.exitStatus)): \(result.stderrText)")])
            }
            text = String(decoding: result.stdout, as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw LoadError(problems: [Diagnostic(location: file, message: "cannot read the vault password file")])
            }
            text = String(decoding: data, as: UTF8.self)
        }
        // Ansible takes the file's text without its surrounding whitespace.
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw LoadError(problems: [Diagnostic(location: file, message: "the vault password file is empty")]) }
        lock.withLock { password = Data(text.utf8) }
    }

    /// `HAPROV_VAULT_PASSWORD_FILE`, when set and no password was given on the command line.
    public static func useEnvironment() throws {
        guard current == nil, let file = ProcessInfo.processInfo.environment[environmentVariable], !file.isEmpty else { return }
        try use(file: file)
    }

    /// For tests: forget the password.
    static func reset() { lock.withLock { password = nil } }
}
