import Foundation
import HaprovCore
import HaprovSSH
import Testing

@Suite("SFTP upload and download")
struct SFTPTests {
    let server: TestSSHD
    let transport: any Transport
    let remoteDirectory: String

    init() throws {
        server = try TestSSHD.sharedServer()
        transport = try SSHTransportFactory().connect(server.spec())
        remoteDirectory = try TestSSHD.makeTemporaryDirectory(prefix: "haprov-sftp")
    }

    @Test func uploadDownloadRoundTripWithMode() throws {
        defer { transport.close() }
        var generator = SystemRandomNumberGenerator()
        let payload = Data((0..<500_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let path = remoteDirectory + "/payload.bin"
        try transport.upload(payload, to: path, mode: 0o640)
        #expect(try transport.run("stat -c %a \(Shell.quote(path))").stdoutText == "640\n")
        #expect(try transport.download(path) == payload)
    }

    @Test func reuploadReplacesContentAndMode() throws {
        defer { transport.close() }
        let path = remoteDirectory + "/config"
        try transport.upload(Data("first version, longer\n".utf8), to: path, mode: 0o600)
        try transport.upload(Data("second\n".utf8), to: path, mode: 0o755)
        #expect(try transport.run("stat -c %a \(Shell.quote(path)); cat \(Shell.quote(path))").stdoutText == "755\nsecond\n")
    }

    @Test func emptyFile() throws {
        defer { transport.close() }
        let path = remoteDirectory + "/empty"
        try transport.upload(Data(), to: path, mode: 0o644)
        #expect(try transport.download(path).isEmpty)
    }

    @Test func missingFileNamesPathAndReason() throws {
        defer { transport.close() }
        let path = remoteDirectory + "/does-not-exist"
        let error = #expect(throws: TransportError.self) { try transport.download(path) }
        #expect(error?.step == .sftp)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("no such file") == true)
        #expect(error?.fix != nil)
    }

    @Test func uploadIntoMissingDirectoryFails() throws {
        defer { transport.close() }
        let path = remoteDirectory + "/no/such/dir/file"
        let error = #expect(throws: TransportError.self) { try transport.upload(Data("x".utf8), to: path, mode: 0o644) }
        #expect(error?.step == .sftp)
        #expect(error?.message.contains(path) == true)
        // The SFTP subsystem survives a failed open and serves the next transfer.
        try transport.upload(Data("ok".utf8), to: remoteDirectory + "/after-error", mode: 0o644)
        #expect(try transport.download(remoteDirectory + "/after-error") == Data("ok".utf8))
    }
}
