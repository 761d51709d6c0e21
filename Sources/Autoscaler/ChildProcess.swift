#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawnp`: signals reset to their defaults and none blocked
/// (this process ignores and blocks some for swift-service-lifecycle; a child must not inherit
/// that), stdin from /dev/null, stdout and stderr to a file, a pipe or this process's own.
struct ChildProcess: Sendable {
    let pid: pid_t

    /// How a child ended.
    enum Termination: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let code): return "exit \(code)"
            case .signalled(let signal): return "signal \(signal)"
            }
        }
    }

    enum Output: Sendable {
        /// This process's stdout and stderr.
        case inherit
        /// Appended to the file at this path (both stdout and stderr).
        case file(String)
        /// Into this pipe's write end (both stdout and stderr).
        case pipe(Int32)
    }

    struct Failure: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// Starts `arguments[0]` (looked up in `PATH` when it has no `/`).
    static func spawn(_ arguments: [String], environment: [String: String], output: Output) throws(Failure) -> ChildProcess {
        precondition(!arguments.isEmpty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .inherit:
            break
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .pipe(let fd):
            posix_spawn_file_actions_adddup2(&actions, fd, 1)
            posix_spawn_file_actions_adddup2(&actions, fd, 2)
        }
        closeOnExec()
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Runs a command to its end and returns how it ended and what it printed (stdout and stderr).
    static func run(_ arguments: [String], environment: [String: String]) throws(Failure) -> (Termination, String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let child: ChildProcess
        do {
            child = try spawn(arguments, environment: environment, output: .pipe(fds[1]))
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        close(fds[0])
        return (child.wait(), String(decoding: bytes, as: UTF8.self))
    }

    /// Marks every descriptor above 2 close-on-exec, so that nothing of this process (Redis
    /// connections, the metrics socket, another child's pipe) reaches a child: hiredis, for one,
    /// does not open its sockets close-on-exec. (`posix_spawn_file_actions_addclosefrom_np`
    /// would do it in the child, but Swift does not see it without `_GNU_SOURCE`.)
    private static func closeOnExec() {
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let own = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name), fd > 2, fd != own else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// How the child ended, if it has (never blocks).
    func poll() -> Termination? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 ? .exited(-1) : nil }
        return Self.termination(status)
    }

    /// Waits for the child to end.
    func wait() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(-1) }
        }
        return Self.termination(status)
    }

    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    private static func termination(_ status: Int32) -> Termination {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
        (status & 0x7F) == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
    }
}
