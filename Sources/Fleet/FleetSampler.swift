import NIOCore
import Synchronization
import Telemetry

/// One second of the fleet, as the sampler hands it to observers (live progress, metrics).
public struct FleetSample: Sendable {
    /// Start of the second this sample covers, Unix seconds.
    public var time: Int64
    /// Wall-clock time since the runner started.
    public var elapsed: Duration
    /// Names of the spec's groups, by index.
    public var groupNames: [String]
    /// What each group did in this second, merged over the loops (same order as `groupNames`).
    public var groups: [IntervalSample]
    /// All groups together.
    public var fleet: IntervalSample
    /// Charge points connected when the second ended.
    public var connected: Int
    /// The fleet process at the end of the second.
    public var process: ProcessSample
    /// CPU time the fleet process spent in this second.
    public var cpuSeconds: Double
    /// How late event-loop timers ran in this second.
    public var eventLoopLag: SparseHistogram?
    /// The last sample of the run, taken when `finish()` is done.
    public var isFinal: Bool

    public init(time: Int64, elapsed: Duration, groupNames: [String], groups: [IntervalSample], fleet: IntervalSample,
                connected: Int, process: ProcessSample, cpuSeconds: Double, eventLoopLag: SparseHistogram?,
                isFinal: Bool) {
        self.time = time
        self.elapsed = elapsed
        self.groupNames = groupNames
        self.groups = groups
        self.fleet = fleet
        self.connected = connected
        self.process = process
        self.cpuSeconds = cpuSeconds
        self.eventLoopLag = eventLoopLag
        self.isFinal = isFinal
    }
}

/// Once a second, at the turn of the wall-clock second, flushes every loop's
/// ``LoopTelemetry`` (one hop per loop, no locks on the loops), merges the flushes, samples
/// the process's CPU and RSS, and adds the second to the run's ``TimeSeries``. Recording on the
/// loops stays as cheap as before: the sampler reads and clears per-loop intervals, it never
/// touches a charge point.
final class FleetSampler: Sendable {
    private struct State {
        var series = TimeSeries()
        /// Each group's run so far, by group index.
        var groups: [GroupTally] = []
        var task: Task<Void, Never>?
        var previous: ProcessSample?
        var startMicros: Int64 = 0
        var onSample: (@Sendable (FleetSample) -> Void)?
        var descriptors = DescriptorCadence()
    }

    private let loops: [LoopSlot]
    private let clock: FleetClock
    private let gauge: ConnectionGauge
    private let groupNames: [String]
    private let state = Mutex(State())

    init(loops: [LoopSlot], clock: FleetClock, gauge: ConnectionGauge, groupNames: [String]) {
        self.loops = loops
        self.clock = clock
        self.gauge = gauge
        self.groupNames = groupNames
    }

    /// Starts sampling; the process baseline is taken now.
    func begin(onSample: (@Sendable (FleetSample) -> Void)?) {
        let baseline = ProcessSample.now()
        let start = clock.wallNow().microseconds
        let task = Task { [self] in
            while !Task.isCancelled {
                let now = clock.wallNow().microseconds
                let next = (now / 1_000_000 + 1) * 1_000_000
                do {
                    try await Task.sleep(for: .microseconds(next - now))
                } catch {
                    return
                }
                await sampleOnce(time: next / 1_000_000 - 1, isFinal: false)
            }
        }
        state.withLock {
            $0.previous = baseline
            $0.startMicros = start
            $0.onSample = onSample
            $0.task = task
        }
    }

    /// Stops the periodic sampling, takes the last sample (everything since the last second
    /// turned) and returns the run's series and each group's figures (by group index).
    func end() async -> (series: TimeSeries, groups: [GroupTally]) {
        let task = state.withLock { state -> Task<Void, Never>? in
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
        await task?.value
        let now = clock.wallNow().microseconds
        await sampleOnce(time: now / 1_000_000, isFinal: true)
        return state.withLock { ($0.series, $0.groups) }
    }

    private func sampleOnce(time: Int64, isFinal: Bool) async {
        var groups = Array(repeating: IntervalSample(), count: groupNames.count)
        var lag: SparseHistogram?
        var openTransactions = 0
        for slot in loops {
            let box = slot.box
            guard let (flush, open) = try? await slot.loop.submit({
                (box.value.telemetry.flush(), box.value.chargePoints.reduce(0) { $0 + $1.openTransactions })
            }).get() else { continue }
            openTransactions += open
            for (index, sample) in flush.groups.enumerated() where index < groups.count {
                groups[index].merge(sample)
            }
            if let loopLag = flush.eventLoopLag {
                if lag == nil { lag = loopLag } else { lag!.add(loopLag) }
            }
        }
        var fleet = IntervalSample()
        for group in groups { fleet.merge(group) }
        let process = ProcessSample.now()
        let countDescriptors = isFinal || state.withLock { $0.descriptors.isDue(at: time) }
        let descriptors = countDescriptors ? ProcessSample.openFileDescriptors() : nil
        if countDescriptors { state.withLock { $0.descriptors.counted(descriptors, at: time) } }
        let connected = gauge.now
        let (cpu, start, observer) = state.withLock { state -> (Double, Int64, (@Sendable (FleetSample) -> Void)?) in
            let cpu = max(0, process.cpuSeconds - (state.previous?.cpuSeconds ?? process.cpuSeconds))
            state.previous = process
            if state.groups.count < groups.count { state.groups = Array(repeating: GroupTally(), count: groups.count) }
            for (index, group) in groups.enumerated() { state.groups[index].add(group) }
            state.series.record(TimeSeries.Point(
                time: time, sample: fleet, connected: connected, cpuSeconds: cpu,
                rssBytes: process.rssBytes > 0 ? process.rssBytes : nil, eventLoopLag: lag,
                openFileDescriptors: descriptors, openTransactions: openTransactions))
            return (cpu, state.startMicros, state.onSample)
        }
        observer?(FleetSample(
            time: time, elapsed: .microseconds(clock.wallNow().microseconds - start), groupNames: groupNames,
            groups: groups, fleet: fleet, connected: connected, process: process, cpuSeconds: cpu,
            eventLoopLag: lag, isFinal: isFinal))
    }
}

/// When the sampler lists `/proc/self/fd` to count the process's descriptors. The listing costs
/// the kernel about 1.3 µs per open descriptor (it builds a dentry for each): nothing for a soak
/// fleet of hundreds, 25 ms of CPU a second at 19,000 connections, 3.7 % of a busy 8,000-charge-point
/// client's samples (docs/performance.md). So it runs every second while the process holds fewer
/// than ``everySecondBelow`` descriptors and every ``sparseInterval`` seconds above that; the
/// seconds in between carry no count (a report shows only what was measured), and the run's last
/// sample always counts.
struct DescriptorCadence: Sendable {
    static let everySecondBelow = 4_096
    static let sparseInterval: Int64 = 10

    private var lastTime: Int64?
    private var lastCount = 0

    func isDue(at time: Int64) -> Bool {
        guard let lastTime, lastCount >= Self.everySecondBelow else { return true }
        return time - lastTime >= Self.sparseInterval
    }

    mutating func counted(_ count: Int?, at time: Int64) {
        lastTime = time
        lastCount = count ?? 0
    }
}
