/// What the fleet did second by second: report.json's `timeSeries` (docs/report-schema.md).
///
/// Buckets are aligned to the Unix epoch: a bucket of width `w` seconds starts at a multiple of
/// `w`, so the series of shards that ran side by side line up and merge exactly. The width starts
/// at 1 s and doubles (neighbouring buckets merged) whenever the series would pass
/// ``maxPoints``, so an 8-hour soak keeps at most 600 points of 64 s.
///
/// Counts add and histograms merge exactly, both across time and across shards. Gauges
/// (`connected`, `rssBytes`) are the value at the end of a bucket: the later bucket's when
/// buckets are merged over time, the sum of the shards' when series are merged.
///
/// The series holds its points packed (``PackedPoints``: a few hundred bytes a second of a busy
/// fleet in one buffer, no allocation per point), so the run's own RSS stays flat while it
/// grows; ``points`` decodes them.
public struct TimeSeries: Sendable, Codable, Equatable {
    /// The most points a series keeps.
    public static let maxPoints = 600

    /// Width of every bucket in seconds: a power of two.
    public var intervalSeconds: Int
    /// Buckets in ascending time; a bucket in which nothing was sampled is missing. Decoded
    /// from the packed form on every read (and packed again on every write): take it once.
    public var points: [Point] {
        get { packed.points }
        set { packed = PackedPoints(newValue) }
    }
    private var packed: PackedPoints

    public init(intervalSeconds: Int = 1, points: [Point] = []) {
        self.intervalSeconds = intervalSeconds
        packed = PackedPoints(points)
    }

    enum CodingKeys: String, CodingKey {
        case intervalSeconds, points
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(intervalSeconds: try container.decode(Int.self, forKey: .intervalSeconds),
                  points: try container.decode([Point].self, forKey: .points))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(intervalSeconds, forKey: .intervalSeconds)
        try container.encode(points, forKey: .points)
    }

    /// Same width and the same points (the packed bytes may differ: action ids are interned in
    /// the order names were first seen).
    public static func == (lhs: TimeSeries, rhs: TimeSeries) -> Bool {
        lhs.intervalSeconds == rhs.intervalSeconds && lhs.points == rhs.points
    }

    /// One bucket.
    public struct Point: Sendable, Codable, Equatable {
        /// Start of the bucket, Unix seconds, a multiple of the series' `intervalSeconds`.
        public var time: Int64
        /// Charge points connected at the end of the bucket.
        public var connected: Int?
        /// CALLs sent, answered with a CALLRESULT, answered with a CALLERROR, timed out (all actions).
        public var sent: Int
        public var completed: Int
        public var callErrors: Int
        public var timeouts: Int
        /// CALLs received from the CSMS.
        public var incoming: Int
        /// Failed connection attempts.
        public var connectFailures: Int
        /// Per action sent in this bucket.
        public var actions: [String: Action]
        /// CPU time (user + system) the fleet process spent in this bucket, in seconds.
        public var cpuSeconds: Double?
        /// Resident set size of the fleet process at the end of the bucket, in bytes.
        public var rssBytes: Int?
        /// How late event-loop timers ran in this bucket.
        public var eventLoopLag: SparseHistogram?
        /// Open file descriptors of the fleet process at the end of the bucket (Linux).
        public var openFileDescriptors: Int?
        /// Transactions open on the charge points at the end of the bucket.
        public var openTransactions: Int?

        public init(
            time: Int64, connected: Int? = nil, sent: Int = 0, completed: Int = 0, callErrors: Int = 0,
            timeouts: Int = 0, incoming: Int = 0, connectFailures: Int = 0, actions: [String: Action] = [:],
            cpuSeconds: Double? = nil, rssBytes: Int? = nil, eventLoopLag: SparseHistogram? = nil
        ) {
            self.time = time
            self.connected = connected
            self.sent = sent
            self.completed = completed
            self.callErrors = callErrors
            self.timeouts = timeouts
            self.incoming = incoming
            self.connectFailures = connectFailures
            self.actions = actions
            self.cpuSeconds = cpuSeconds
            self.rssBytes = rssBytes
            self.eventLoopLag = eventLoopLag
        }

        /// One action in one bucket.
        public struct Action: Sendable, Codable, Equatable {
            public var sent: Int
            public var completed: Int
            public var callErrors: Int
            public var timeouts: Int
            /// CALL → CALLRESULT latencies answered in this bucket; nil without CALLRESULTs.
            public var latency: SparseHistogram?

            public init(sent: Int = 0, completed: Int = 0, callErrors: Int = 0, timeouts: Int = 0,
                        latency: SparseHistogram? = nil) {
                self.sent = sent
                self.completed = completed
                self.callErrors = callErrors
                self.timeouts = timeouts
                self.latency = latency
            }

            mutating func add(_ other: Action) {
                sent += other.sent
                completed += other.completed
                callErrors += other.callErrors
                timeouts += other.timeouts
                latency.add(other.latency)
            }

            enum CodingKeys: String, CodingKey {
                case sent, completed, callErrors, timeouts, latencyMicros, histogram
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                sent = try container.decode(Int.self, forKey: .sent)
                completed = try container.decode(Int.self, forKey: .completed)
                callErrors = try container.decode(Int.self, forKey: .callErrors)
                timeouts = try container.decode(Int.self, forKey: .timeouts)
                latency = try container.decodeIfPresent(SparseHistogram.self, forKey: .histogram)
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(sent, forKey: .sent)
                try container.encode(completed, forKey: .completed)
                try container.encode(callErrors, forKey: .callErrors)
                try container.encode(timeouts, forKey: .timeouts)
                if let latency, !latency.isEmpty {
                    try container.encode(latency.summary, forKey: .latencyMicros)
                    try container.encode(latency, forKey: .histogram)
                }
            }
        }

        enum CodingKeys: String, CodingKey {
            case time, connected, sent, completed, callErrors, timeouts, incoming, connectFailures, actions
            case cpuSeconds, rssBytes, eventLoopLagMicros, eventLoopLagHistogram, openFileDescriptors, openTransactions
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            time = try container.decode(Int64.self, forKey: .time)
            connected = try container.decodeIfPresent(Int.self, forKey: .connected)
            sent = try container.decode(Int.self, forKey: .sent)
            completed = try container.decode(Int.self, forKey: .completed)
            callErrors = try container.decode(Int.self, forKey: .callErrors)
            timeouts = try container.decode(Int.self, forKey: .timeouts)
            incoming = try container.decode(Int.self, forKey: .incoming)
            connectFailures = try container.decode(Int.self, forKey: .connectFailures)
            actions = try container.decode([String: Action].self, forKey: .actions)
            cpuSeconds = try container.decodeIfPresent(Double.self, forKey: .cpuSeconds)
            rssBytes = try container.decodeIfPresent(Int.self, forKey: .rssBytes)
            eventLoopLag = try container.decodeIfPresent(SparseHistogram.self, forKey: .eventLoopLagHistogram)
            openFileDescriptors = try container.decodeIfPresent(Int.self, forKey: .openFileDescriptors)
            openTransactions = try container.decodeIfPresent(Int.self, forKey: .openTransactions)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(time, forKey: .time)
            try container.encodeIfPresent(connected, forKey: .connected)
            try container.encode(sent, forKey: .sent)
            try container.encode(completed, forKey: .completed)
            try container.encode(callErrors, forKey: .callErrors)
            try container.encode(timeouts, forKey: .timeouts)
            try container.encode(incoming, forKey: .incoming)
            try container.encode(connectFailures, forKey: .connectFailures)
            try container.encode(actions, forKey: .actions)
            try container.encodeIfPresent(cpuSeconds, forKey: .cpuSeconds)
            try container.encodeIfPresent(rssBytes, forKey: .rssBytes)
            try container.encodeIfPresent(openFileDescriptors, forKey: .openFileDescriptors)
            try container.encodeIfPresent(openTransactions, forKey: .openTransactions)
            if let eventLoopLag, !eventLoopLag.isEmpty {
                try container.encode(eventLoopLag.summary, forKey: .eventLoopLagMicros)
                try container.encode(eventLoopLag, forKey: .eventLoopLagHistogram)
            }
        }

        /// Adds the counts and histograms of `other` (same bucket or a neighbour).
        mutating func addCounts(_ other: Point) {
            sent += other.sent
            completed += other.completed
            callErrors += other.callErrors
            timeouts += other.timeouts
            incoming += other.incoming
            connectFailures += other.connectFailures
            for (name, action) in other.actions {
                actions[name, default: Action()].add(action)
            }
            eventLoopLag.add(other.eventLoopLag)
        }

        /// Folds in `later`, the point of a later time in the same (wider) bucket: counts add,
        /// CPU adds, gauges take the later value.
        mutating func absorb(later: Point) {
            addCounts(later)
            cpuSeconds = (cpuSeconds != nil && later.cpuSeconds != nil) ? cpuSeconds! + later.cpuSeconds! : nil
            connected = later.connected ?? connected
            rssBytes = later.rssBytes ?? rssBytes
            openFileDescriptors = later.openFileDescriptors ?? openFileDescriptors
            openTransactions = later.openTransactions ?? openTransactions
        }

        /// Folds in the same bucket of another shard: counts, CPU and gauges add (a figure one
        /// side did not measure is not measured in the sum).
        mutating func absorb(shard other: Point) {
            addCounts(other)
            cpuSeconds = (cpuSeconds != nil && other.cpuSeconds != nil) ? cpuSeconds! + other.cpuSeconds! : nil
            connected = (connected != nil && other.connected != nil) ? connected! + other.connected! : nil
            rssBytes = (rssBytes != nil && other.rssBytes != nil) ? rssBytes! + other.rssBytes! : nil
            openFileDescriptors = (openFileDescriptors != nil && other.openFileDescriptors != nil)
                ? openFileDescriptors! + other.openFileDescriptors! : nil
            openTransactions = (openTransactions != nil && other.openTransactions != nil)
                ? openTransactions! + other.openTransactions! : nil
        }
    }

    /// Adds a point of 1-s resolution (or of this series' width) in time order: it lands in the
    /// bucket holding `point.time`, merged with what that bucket already has; the series widens
    /// its buckets when it would pass ``maxPoints``.
    public mutating func record(_ point: Point) {
        var point = point
        point.time = floor(point.time, to: intervalSeconds)
        if let last = packed.times.last, last == point.time {
            var bucket = packed.removeLast()
            bucket.absorb(later: point)
            packed.append(bucket)
        } else if let last = packed.times.last, last > point.time {
            // Out of order (a late sample): merge it into the bucket it belongs to, gauges
            // untouched. Rare, so the series is simply decoded and packed again.
            var all = points
            if let index = all.lastIndex(where: { $0.time == point.time }) {
                all[index].addCounts(point)
            } else {
                let index = all.firstIndex { $0.time > point.time } ?? all.count
                all.insert(point, at: index)
            }
            points = all
        } else {
            packed.append(point)
        }
        while packed.count > Self.maxPoints { widen(to: intervalSeconds * 2) }
    }

    /// Merges buckets into buckets of `width` seconds (a multiple of the current width).
    public mutating func widen(to width: Int) {
        guard width > intervalSeconds else { return }
        var merged: [Point] = []
        for var point in points {
            point.time = floor(point.time, to: width)
            if let last = merged.last, last.time == point.time {
                merged[merged.count - 1].absorb(later: point)
            } else {
                merged.append(point)
            }
        }
        points = merged
        intervalSeconds = width
    }

    /// Merges the series of a shard that ran side by side: both widened to the wider width,
    /// buckets of the same time merged (counts and gauges add), then widened again while
    /// longer than ``maxPoints``.
    public mutating func merge(_ other: TimeSeries) {
        var other = other
        let width = Swift.max(intervalSeconds, other.intervalSeconds)
        widen(to: width)
        other.widen(to: width)
        let mine = points
        let theirs = other.points
        var merged: [Point] = []
        merged.reserveCapacity(mine.count + theirs.count)
        var left = 0
        var right = 0
        while left < mine.count || right < theirs.count {
            if right == theirs.count || (left < mine.count && mine[left].time < theirs[right].time) {
                merged.append(mine[left])
                left += 1
            } else if left == mine.count || theirs[right].time < mine[left].time {
                merged.append(theirs[right])
                right += 1
            } else {
                var point = mine[left]
                point.absorb(shard: theirs[right])
                merged.append(point)
                left += 1
                right += 1
            }
        }
        points = merged
        while packed.count > Self.maxPoints { widen(to: intervalSeconds * 2) }
    }
}

/// `time` rounded down to a multiple of `width` (also for times before 1970).
private func floor(_ time: Int64, to width: Int) -> Int64 {
    let width = Int64(width)
    let remainder = time % width
    return remainder >= 0 ? time - remainder : time - remainder - width
}

extension Optional where Wrapped == SparseHistogram {
    /// Adds `other` in, creating the histogram only when `other` has values.
    mutating func add(_ other: SparseHistogram?) {
        guard let other, !other.isEmpty else { return }
        if self == nil {
            self = other
        } else {
            self!.add(other)
        }
    }
}

extension TimeSeries {
    /// The fewest samples a drift is computed from.
    public static let driftMinimumPoints = 20

    /// How a gauge moved over a long run, for soak verdicts: the first quarter of the run is
    /// warm-up (connections ramp, caches fill); `start` is the median of the next tenth of the
    /// run, `end` the median of its last tenth. nil with fewer than ``driftMinimumPoints``
    /// samples of the gauge after the warm-up.
    public func drift(of value: (Point) -> Int?) -> (start: Double, end: Double)? {
        let samples = points.compactMap { point in value(point).map { (time: point.time, value: Double($0)) } }
        guard let first = samples.first, let last = samples.last else { return nil }
        let span = Double(last.time - first.time)
        let warmUpEnd = Double(first.time) + span * 0.25
        let settled = samples.filter { Double($0.time) >= warmUpEnd }
        guard settled.count >= Self.driftMinimumPoints else { return nil }
        let window = max(2, settled.count / 10)
        func median(_ values: ArraySlice<(time: Int64, value: Double)>) -> Double {
            let sorted = values.map(\.value).sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
        return (median(settled.prefix(window)), median(settled.suffix(window)))
    }
}
