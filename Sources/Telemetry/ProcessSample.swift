#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The CPU time and memory of this process at one moment: what the load generator itself costs.
///
/// Take one before the first charge point connects (the baseline) and one at the end; the
/// report divides the difference by the work done (``RunReport/build(snapshot:run:peakConnected:baseline:end:availableCores:)``).
public struct ProcessSample: Sendable, Equatable {
    /// User plus system CPU time of the whole process so far (`getrusage(RUSAGE_SELF)`), in seconds.
    public var cpuSeconds: Double
    /// Resident set size now, in bytes (Linux: `/proc/self/statm` resident pages × page size);
    /// 0 when it could not be read.
    public var rssBytes: Int
    /// The largest resident set size the process has had, in bytes (Linux: `VmHWM` in
    /// `/proc/self/status`; Darwin: `ru_maxrss`); nil when it could not be read.
    public var peakRSSBytes: Int?

    public init(cpuSeconds: Double, rssBytes: Int, peakRSSBytes: Int?) {
        self.cpuSeconds = cpuSeconds
        self.rssBytes = rssBytes
        self.peakRSSBytes = peakRSSBytes
    }

    /// File descriptors this process has open (Linux: the entries of `/proc/self/fd`, less
    /// the one reading it); nil elsewhere or when it cannot be read.
    public static func openFileDescriptors() -> Int? {
        #if os(Linux)
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = entry.pointee.d_name
            let isDot = withUnsafeBytes(of: name) { bytes in
                bytes[0] == UInt8(ascii: ".") && (bytes[1] == 0 || (bytes[1] == UInt8(ascii: ".") && bytes[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
        #else
        return nil
        #endif
    }

    /// Samples this process now.
    public static func now() -> ProcessSample {
        var usage = rusage()
        let cpuSeconds: Double
        if getrusage(rusageSelf, &usage) == 0 {
            cpuSeconds = usage.ru_utime.seconds + usage.ru_stime.seconds
        } else {
            cpuSeconds = 0
        }
        #if os(Linux)
        return ProcessSample(cpuSeconds: cpuSeconds, rssBytes: linuxRSSBytes() ?? 0, peakRSSBytes: linuxPeakRSSBytes())
        #elseif canImport(Darwin)
        return ProcessSample(
            cpuSeconds: cpuSeconds, rssBytes: darwinRSSBytes() ?? 0,
            peakRSSBytes: usage.ru_maxrss > 0 ? Int(usage.ru_maxrss) : nil)  // bytes on Darwin
        #else
        return ProcessSample(cpuSeconds: cpuSeconds, rssBytes: 0, peakRSSBytes: nil)
        #endif
    }
}

#if canImport(Glibc)
private let rusageSelf = __rusage_who_t(RUSAGE_SELF.rawValue)  // Glibc imports it as an enum
#else
private let rusageSelf = RUSAGE_SELF
#endif

extension timeval {
    fileprivate var seconds: Double { Double(tv_sec) + Double(tv_usec) / 1_000_000 }
}

#if os(Linux)
/// Resident pages (second field of `/proc/self/statm`) × page size.
private func linuxRSSBytes() -> Int? {
    guard let text = readSmallFile("/proc/self/statm") else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// `VmHWM:   123456 kB` in `/proc/self/status`.
private func linuxPeakRSSBytes() -> Int? {
    guard let text = readSmallFile("/proc/self/status") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let parts = line.dropFirst("VmHWM:".count).split { $0 == " " || $0 == "\t" }
        guard parts.count == 2, parts[1] == "kB", let kibibytes = Int(parts[0]) else { return nil }
        return kibibytes * 1024
    }
    return nil
}

/// Reads a `/proc` file (whose reported size is 0) to its end, up to 64 KiB.
private func readSmallFile(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes = [UInt8](repeating: 0, count: 65_536)
    var filled = 0
    while filled < bytes.count {
        let got = bytes.withUnsafeMutableBytes { buffer in
            read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
        }
        if got < 0, errno == EINTR { continue }
        guard got >= 0 else { return nil }
        if got == 0 { break }
        filled += got
    }
    return String(decoding: bytes[..<filled], as: UTF8.self)
}
#endif

#if canImport(Darwin)
/// `ri_resident_size` from `proc_pid_rusage` (libproc), which avoids the `mach_task_self_` global.
private func darwinRSSBytes() -> Int? {
    var info = rusage_info_v0()
    let result = withUnsafeMutablePointer(to: &info) { pointer in
        pointer.withMemoryRebound(to: rusage_info_t?.self, capacity: 1) { rebound in
            proc_pid_rusage(getpid(), RUSAGE_INFO_V0, rebound)
        }
    }
    return result == 0 ? Int(info.ri_resident_size) : nil
}
#endif
