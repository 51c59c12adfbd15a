import Foundation
import Testing
@testable import HaprovCore

/// Become decided in one place: the host's `ansible_become` and a task's `become:`, run for
/// real through this machine's sudo (the tests run as root, so sudo needs no password).
@Suite struct BecomeTests {
    func spec(become: Bool, user: String = "student", becomeUser: String = "nobody") -> ConnectionSpec {
        var spec = ConnectionSpec(name: "h1", address: "127.0.0.1", user: user)
        spec.become = become
        spec.becomeUser = becomeUser
        return spec
    }

    func whoami(_ transport: any Transport) throws -> String {
        try transport.run("id -un", stdin: nil, timeout: .seconds(10)).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func theHostsBecomeAndATasksOwnOverIt() throws {
        let login = LocalTransport()
        let me = try whoami(login)
        // The host asks for become: commands run as the become user.
        let host = try Become.transport(login, spec: spec(become: true))
        #expect(host is BecomeTransport)
        #expect(try whoami(host) == "nobody")
        // A task's become: false runs as the login user; become: true over a host without keeps it.
        #expect(try whoami(Become.transport(host, spec: spec(become: true), wanted: false)) == me)
        #expect(try whoami(Become.transport(login, spec: spec(become: false), wanted: true)) == "nobody")
        #expect(try Become.transport(host, spec: spec(become: true), wanted: true) === host as AnyObject)
        // No become, or the login user is already the become user: the login transport as it is.
        #expect(try Become.transport(login, spec: spec(become: false)) === login)
        #expect(try Become.transport(login, spec: spec(become: true, user: "root", becomeUser: "root")) === login)
    }

    @Test func aBecomePasswordThatCannotBeReadIsSaid() throws {
        var spec = spec(become: true)
        spec.becomePassword = .environment("HAPROV_TEST_NO_SUCH_PASSWORD")
        let error = #expect(throws: TransportError.self) { try Become.transport(LocalTransport(), spec: spec, environment: [:]) }
        #expect(error?.step == .become && error?.description.contains("HAPROV_TEST_NO_SUCH_PASSWORD") == true, "\(String(describing: error))")
    }
}
