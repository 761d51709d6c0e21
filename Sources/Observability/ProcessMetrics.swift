import Metrics
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The process's own figures under Prometheus's standard names, read from `/proc/self` every few
/// seconds: `process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds` and
/// `process_start_time_seconds`. Every daemon runs it beside its work.
public struct ProcessMetrics: Service {
    let interval: Duration

    public init(interval: Duration = .seconds(5)) {
        self.interval = interval
    }

    public func run() async throws {
        let memory = Gauge(label: "process_resident_memory_bytes")
        let cpu = FloatingPointCounter(label: "process_cpu_seconds_total")
        let files = Gauge(label: "process_open_fds")
        let started = Gauge(label: "process_start_time_seconds")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        var counted = 0.0
        if let startTicks = Self.stat()?.startTicks, let boot = Self.bootTime() { started.record(boot + Double(startTicks) / ticks) }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let stat = Self.stat() {
                let seconds = Double(stat.userTicks + stat.systemTicks) / ticks
                if seconds > counted { cpu.increment(by: seconds - counted) }
                counted = seconds
            }
            if let pages = Self.residentPages() { memory.record(Double(pages) * pageSize) }
            files.record(Self.openFiles())
            try? await Task.sleep(for: interval)
        }
    }

    /// `/proc/self/stat`: user and system CPU ticks (fields 14, 15), start time (22).
    static func stat() -> (userTicks: Int, systemTicks: Int, startTicks: Int)? {
        guard let text = read("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces) come fields 3, 4, ...
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let user = Int(fields[11]), let system = Int(fields[12]), let start = Int(fields[19]) else { return nil }
        return (user, system, start)
    }

    static func residentPages() -> Int? {
        read("/proc/self/statm").flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }
    }

    static func bootTime() -> Double? {
        read("/proc/stat")?.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }

    static func openFiles() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return max(0, count - 3)  // ".", "..", and the directory's own descriptor
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
