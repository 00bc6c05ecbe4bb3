import Benchmark
import CMallocInfo
import MallocInterposerSwift

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What every benchmark here reports, and what CI gates.
///
/// - `mallocCountTotal` (malloc interposer): deterministic for a given toolchain, so it is
///   the one gated metric (`Thresholds/`, checked with `--metric mallocCountTotal`).
/// - `threadCPU`: CPU time of the benchmark thread from `CLOCK_THREAD_CPUTIME_ID`, read
///   around the measured loop. The harness's own `.cpuTotal` reads /proc/self/stat in
///   10 ms scheduler ticks on Linux, far too coarse for samples of a few milliseconds.
/// - `wallClock`, `throughput`: reported, never gated.
/// - `instructions` (perf_event hardware counters): only with `LOCAL_TESTING` set, as in
///   swift-nio. The harness reads the counters inside the measured window, which adds
///   about 16 mallocs to every sample (and makes the count vary), and the 2-core VMs this
///   project runs on have no PMU anyway (perf_event_open fails with ENOENT).
public enum Metrics {
    public static var threadCPU: BenchmarkMetric { .custom("CPU time, thread (ns)", polarity: .prefersSmaller, useScalingFactor: true) }

    public static var standard: [BenchmarkMetric] {
        let base: [BenchmarkMetric] = [.mallocCountTotal, threadCPU, .wallClock, .throughput]
        return localTesting ? base + [.instructions] : base
    }

    static var localTesting: Bool { getenv("LOCAL_TESTING") != nil }

    /// Allocation counts must match the recorded p90 exactly: an extra malloc per
    /// iteration is a regression, one fewer means the budget should be re-recorded.
    public static var gated: [BenchmarkMetric: BenchmarkThresholds] {
        [.mallocCountTotal: BenchmarkThresholds(relative: [.p90: 0], absolute: [.p90: 0])]
    }
}

/// CPU time consumed by the calling thread, in nanoseconds.
public func threadCPUNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)
}

/// What a benchmark leaves on the heap between ``init()`` and ``bytesKept()``: the
/// `mallinfo2()` delta (in-use chunks with their headers) less the malloc interposer's own
/// 16-byte header on every allocation still live, i.e. what glibc holds without the harness.
/// It can read a few bytes high: freed small chunks in glibc's tcache count as in use.
public struct HeapInUse {
    /// The metric it is reported as; per operation (divided by the scaling factor).
    public static var metric: BenchmarkMetric {
        .custom("Heap in use, glibc (B)", polarity: .prefersSmaller, useScalingFactor: true)
    }

    private static let interposerHeaderBytes = 16
    private let allocatorBefore: Int?
    private let liveBefore: Int

    /// Starts counting: take it right before the work whose heap is measured.
    public init() {
        allocatorBefore = allocatorBytesInUse()
        let counts = MallocInterposerSwift.getStatistics()
        liveBefore = counts.mallocCount - counts.freeCount
    }

    /// Bytes added to the heap since ``init()`` and still held; nil off glibc.
    public func bytesKept() -> Int? {
        let counts = MallocInterposerSwift.getStatistics()
        guard let allocatorBefore, let allocatorAfter = allocatorBytesInUse() else { return nil }
        let live = counts.mallocCount - counts.freeCount - liveBefore
        return allocatorAfter - allocatorBefore - Self.interposerHeaderBytes * live
    }
}

/// Bytes glibc's allocator holds in use (mallinfo2), or nil off glibc.
public func allocatorBytesInUse() -> Int? {
    let bytes = cmallocinfo_bytes_in_use()
    return bytes < 0 ? nil : Int(bytes)
}

extension Benchmark {
    /// Runs `body` and reports the thread CPU time it took as `Metrics.threadCPU`.
    public func measuringThreadCPU(_ body: () throws -> Void) rethrows {
        let start = threadCPUNanoseconds()
        try body()
        measurement(Metrics.threadCPU, threadCPUNanoseconds() - start)
    }
}
