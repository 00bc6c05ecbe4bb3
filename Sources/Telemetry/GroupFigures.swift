/// What one group of the fleet spec did over the whole run, added up from its samples of
/// every second (``IntervalSample``): the report's `groups` entry without what the spec says.
///
/// Failures are per group because a group is where a security setting goes wrong: a wrong
/// password or an untrusted CA fails every charge point of that group and none of the others.
public struct GroupTally: Sendable, Equatable {
    /// Largest number of the group's charge points connected at the end of one second.
    public var peakConnected = 0
    /// BootNotifications answered `Accepted` (each charge point once).
    public var bootAccepted = 0
    /// Failed connection attempts by kind (`http-401`, `tls-untrusted`, …).
    public var connectionFailures: [String: Int] = [:]

    public init() {}

    /// Adds one second of the group, merged over the loops.
    public mutating func add(_ second: IntervalSample) {
        peakConnected = max(peakConnected, second.connected)
        bootAccepted += second.bootAccepted
        connectionFailures.addCounts(second.connectionFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
    }
}

extension RunReport {
    /// One group of the fleet spec: how it was set up and how its connections went (schema 1.5).
    public struct Group: Sendable, Codable, Equatable {
        /// Charge points of the group (in this shard).
        public var configured: Int
        /// `"1.6"` or `"2.0.1"`.
        public var ocppVersion: String
        /// OCPP security profile 0...3 the group connected with.
        public var securityProfile: Int
        /// Peak number of the group's charge points connected at the same time (sampled once a
        /// second, so it can miss a peak shorter than a second; the fleet's `connected` does not).
        public var connected: Int
        public var bootAccepted: Int
        /// Failed connection attempts by kind, as `chargePoints.connectionFailures`.
        public var connectionFailures: [String: Int]

        public init(configured: Int, ocppVersion: String, securityProfile: Int, tally: GroupTally) {
            self.configured = configured
            self.ocppVersion = ocppVersion
            self.securityProfile = securityProfile
            connected = tally.peakConnected
            bootAccepted = tally.bootAccepted
            connectionFailures = tally.connectionFailures
        }

        /// Adds the same group of another shard: counts and peaks add, the setup stays.
        mutating func merge(_ other: Group) {
            configured += other.configured
            connected += other.connected
            bootAccepted += other.bootAccepted
            connectionFailures.addCounts(other.connectionFailures, limit: TelemetrySnapshot.Limits.connectFailureReasons)
        }
    }
}

extension RunReport {
    /// A warning for each group none of whose charge points ever connected while their attempts
    /// failed: the run goes on with the other groups and exits 0 unless a threshold says
    /// otherwise, so the first lines of every report format must say that a whole group is
    /// missing, and why (most frequent kinds first).
    public func unconnectedGroupWarnings() -> [String] {
        (groups ?? [:]).sorted { $0.key < $1.key }.compactMap { name, group in
            guard group.configured > 0, group.connected == 0, !group.connectionFailures.isEmpty else { return nil }
            let kinds = group.connectionFailures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "group '\(name)': none of its \(group.configured) charge point(s) connected "
                + "(security profile \(group.securityProfile); failed attempts: \(kinds))"
        }
    }

    /// The per-group table of the text and Markdown reports, groups by name; nil with fewer than
    /// two groups, where the fleet's row already says it all.
    func groupTable() -> (header: [String], rows: [[String]])? {
        guard let groups, groups.count > 1 else { return nil }
        let header = ["Group", "OCPP", "security profile", "configured", "connected", "boot accepted",
                      "connect failures by kind"]
        let rows = groups.sorted { $0.key < $1.key }.map { name, group in
            let failures = group.connectionFailures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return [name, group.ocppVersion, "\(group.securityProfile)", "\(group.configured)", "\(group.connected)",
                    "\(group.bootAccepted)", failures.isEmpty ? "0" : failures]
        }
        return (header, rows)
    }
}
