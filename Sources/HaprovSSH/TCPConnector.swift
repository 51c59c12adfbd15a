import Foundation
import HaprovCore
#if canImport(Glibc)
import Glibc
#endif

/// Opens the TCP connection an SSH session runs over: every address getaddrinfo returns
/// (IPv6 and IPv4) is tried in order, each bounded by what is left of the connect timeout.
enum TCPConnector {
    static func connect(host: String, address: String, port: Int, timeout: Duration) throws -> Int32 {
        let deadline = Deadline(timeout)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(address, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let reason = rc == 0 ? "no addresses" : String(cString: gai_strerror(rc))
            throw TransportError(
                host: host, step: .connect, message: "cannot resolve \(address): \(reason)",
                fix: "check ansible_host for \(host) in the inventory, or the DNS / /etc/hosts entry")
        }
        defer { freeaddrinfo(list) }

        var failures: [String] = []
        var timedOut = false
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let numeric = numericAddress(info)
            switch attempt(info, deadline: deadline) {
            case .success(let fd):
                return fd
            case .failure(let reason, let isTimeout):
                timedOut = timedOut || isTimeout
                failures.append("\(numeric): \(reason)")
            }
            if deadline.expired { break }
        }
        if timedOut {
            throw TransportError(
                host: host, step: .connect,
                message: "no answer from \(address) port \(port) within \(deadline.budgetDescription) (\(failures.joined(separator: "; ")))",
                fix: "check that \(host) is up and reachable (firewall, routing), or raise the connect timeout")
        }
        throw TransportError(
            host: host, step: .connect,
            message: "cannot connect to \(address) port \(port): \(failures.joined(separator: "; "))",
            fix: "check that sshd is running on \(host) and listening on port \(port), and ansible_host/ansible_port in the inventory")
    }

    private enum Outcome {
        case success(Int32)
        case failure(String, timeout: Bool)
    }

    private static func attempt(_ info: UnsafeMutablePointer<addrinfo>, deadline: Deadline) -> Outcome {
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
        guard fd >= 0 else { return .failure(String(cString: strerror(errno)), timeout: false) }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let reason = String(cString: strerror(errno))
                Glibc.close(fd)
                return .failure(reason, timeout: false)
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var ready: Int32
            repeat {
                ready = poll(&pfd, 1, deadline.remainingMilliseconds)
            } while ready < 0 && errno == EINTR
            if ready == 0 {
                Glibc.close(fd)
                return .failure("timed out", timeout: true)
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if ready < 0 || soError != 0 {
                let reason = String(cString: strerror(soError != 0 ? soError : errno))
                Glibc.close(fd)
                return .failure(reason, timeout: false)
            }
        }
        // Small request/response packets dominate provisioning; Nagle would add ~40 ms each.
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        return .success(fd)
    }

    private static func numericAddress(_ info: UnsafeMutablePointer<addrinfo>) -> String {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let rc = getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
        guard rc == 0 else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
