/// The points of a ``TimeSeries`` as bytes in one buffer: what a series holds instead of
/// `[TimeSeries.Point]`.
///
/// Why: a decoded `Point` keeps a `[String: Action]` dictionary and one heap buffer per latency
/// histogram, about ten allocations per second of a run, made amid the event loops' and the
/// sampler's short-lived allocations. Kept for the whole run, they were the RSS growth the soak
/// check measured (fleets/soak.yaml: 4.63 % where 3 % is allowed; docs/soak.md). Packed, a
/// point is its content only: integers as LEB128 (ZigZag for signed ones), action names as ids
/// into a table interned once per series, each histogram's count, minimum, maximum and bucket
/// bytes exactly as ``SparseHistogram`` holds them; all appended to one growing buffer, with
/// the start and time of each point beside it. Decoding gives back equal `Point`s, so the
/// series' content, merges and report.json do not change.
///
/// Layout of one point: flags (a byte: which optional figures follow), sent, completed,
/// callErrors, timeouts, incoming, connectFailures, then those of connected, cpuSeconds (8 bytes,
/// the `Double`'s bits, little-endian), rssBytes, eventLoopLag, openFileDescriptors and
/// openTransactions that are present; then the number of actions and, per action, its name id,
/// sent, completed, callErrors, timeouts, a byte 1 or 0 for a latency histogram and that
/// histogram. In memory only: never written to a file.
struct PackedPoints: Sendable {
    /// Action names by id, and ids by name: each name is stored once per series.
    private var names: [String] = []
    private var ids: [String: Int] = [:]
    /// Every point's bytes, in time order.
    private var bytes: [UInt8] = []
    /// Where each point starts in ``bytes``.
    private var starts: [Int] = []
    /// Each point's `time` (also what ``TimeSeries/record(_:)`` compares without decoding).
    private(set) var times: [Int64] = []

    private enum Flag {
        static let connected: UInt8 = 1 << 0
        static let cpuSeconds: UInt8 = 1 << 1
        static let rssBytes: UInt8 = 1 << 2
        static let eventLoopLag: UInt8 = 1 << 3
        static let openFileDescriptors: UInt8 = 1 << 4
        static let openTransactions: UInt8 = 1 << 5
    }

    init(_ points: [TimeSeries.Point] = []) {
        for point in points { append(point) }
    }

    var count: Int { starts.count }

    /// Every point, decoded.
    var points: [TimeSeries.Point] { (0 ..< count).map { self[$0] } }

    /// The point at `index`, decoded.
    subscript(index: Int) -> TimeSeries.Point {
        var reader = LEB128Reader(bytes: bytes, position: starts[index])
        let flags = reader.nextByte()!
        var point = TimeSeries.Point(time: times[index])
        point.sent = reader.nextWrittenZigZag()
        point.completed = reader.nextWrittenZigZag()
        point.callErrors = reader.nextWrittenZigZag()
        point.timeouts = reader.nextWrittenZigZag()
        point.incoming = reader.nextWrittenZigZag()
        point.connectFailures = reader.nextWrittenZigZag()
        if flags & Flag.connected != 0 { point.connected = reader.nextWrittenZigZag() }
        if flags & Flag.cpuSeconds != 0 {
            let raw = reader.nextWritten(count: 8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            point.cpuSeconds = Double(bitPattern: raw)
        }
        if flags & Flag.rssBytes != 0 { point.rssBytes = reader.nextWrittenZigZag() }
        if flags & Flag.eventLoopLag != 0 { point.eventLoopLag = SparseHistogram(reading: &reader) }
        if flags & Flag.openFileDescriptors != 0 { point.openFileDescriptors = reader.nextWrittenZigZag() }
        if flags & Flag.openTransactions != 0 { point.openTransactions = reader.nextWrittenZigZag() }
        let actionCount = Int(reader.nextWritten())
        point.actions.reserveCapacity(actionCount)
        for _ in 0 ..< actionCount {
            let name = names[Int(reader.nextWritten())]
            var action = TimeSeries.Point.Action(
                sent: reader.nextWrittenZigZag(), completed: reader.nextWrittenZigZag(),
                callErrors: reader.nextWrittenZigZag(), timeouts: reader.nextWrittenZigZag())
            if reader.nextByte() == 1 { action.latency = SparseHistogram(reading: &reader) }
            point.actions[name] = action
        }
        return point
    }

    /// Appends `point` after the last one (the caller keeps times ascending).
    mutating func append(_ point: TimeSeries.Point) {
        starts.append(bytes.count)
        times.append(point.time)
        var flags: UInt8 = 0
        if point.connected != nil { flags |= Flag.connected }
        if point.cpuSeconds != nil { flags |= Flag.cpuSeconds }
        if point.rssBytes != nil { flags |= Flag.rssBytes }
        if point.eventLoopLag != nil { flags |= Flag.eventLoopLag }
        if point.openFileDescriptors != nil { flags |= Flag.openFileDescriptors }
        if point.openTransactions != nil { flags |= Flag.openTransactions }
        bytes.append(flags)
        bytes.appendZigZag(point.sent)
        bytes.appendZigZag(point.completed)
        bytes.appendZigZag(point.callErrors)
        bytes.appendZigZag(point.timeouts)
        bytes.appendZigZag(point.incoming)
        bytes.appendZigZag(point.connectFailures)
        if let connected = point.connected { bytes.appendZigZag(connected) }
        if let cpuSeconds = point.cpuSeconds {
            let raw = cpuSeconds.bitPattern
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: raw >> UInt64(shift))) }
        }
        if let rssBytes = point.rssBytes { bytes.appendZigZag(rssBytes) }
        point.eventLoopLag?.append(to: &bytes)
        if let openFileDescriptors = point.openFileDescriptors { bytes.appendZigZag(openFileDescriptors) }
        if let openTransactions = point.openTransactions { bytes.appendZigZag(openTransactions) }
        bytes.appendLEB128(UInt64(point.actions.count))
        for (name, action) in point.actions {
            bytes.appendLEB128(UInt64(id(of: name)))
            bytes.appendZigZag(action.sent)
            bytes.appendZigZag(action.completed)
            bytes.appendZigZag(action.callErrors)
            bytes.appendZigZag(action.timeouts)
            if let latency = action.latency {
                bytes.append(1)
                latency.append(to: &bytes)
            } else {
                bytes.append(0)
            }
        }
    }

    /// Removes the last point and returns it, decoded; the buffer keeps its capacity.
    mutating func removeLast() -> TimeSeries.Point {
        let point = self[count - 1]
        bytes.removeSubrange(starts.removeLast()...)
        times.removeLast()
        return point
    }

    private mutating func id(of name: String) -> Int {
        if let id = ids[name] { return id }
        names.append(name)
        ids[name] = names.count - 1
        return names.count - 1
    }
}
