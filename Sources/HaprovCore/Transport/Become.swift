import Foundation

/// Ansible's become, decided in one place: the transport a factory hands out (the host's
/// `ansible_become`) and a task's own `become:` both come through here.
public enum Become {
    /// `base` as the spec's become user when `wanted` (a task's `become:`, else the host's
    /// `ansible_become`) asks for it and the login user is someone else; the login user's own
    /// transport when it does not. A become password that cannot be read is a `.become` error
    /// naming the reason, never an attempt at sudo without it.
    public static func transport(_ base: any Transport, spec: ConnectionSpec, wanted: Bool? = nil,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any Transport {
        let login = (base as? BecomeTransport)?.inner ?? base
        guard wanted ?? spec.become, spec.becomeUser != spec.user else { return login }
        if let already = base as? BecomeTransport, already.user == spec.becomeUser { return already }
        var password: String?
        if let secret = spec.becomePassword {
            do { password = try secret.resolve(environment: environment) } catch let error as SecretError {
                throw TransportError(host: spec.name, step: .become, message: "cannot read the become password: \(error.message)", fix: error.fix)
            }
        }
        return BecomeTransport(login, user: spec.becomeUser, password: password)
    }
}
