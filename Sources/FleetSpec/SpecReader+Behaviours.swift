import Yams

/// A behaviour as read, with its idTag pattern kept for the length check that needs the fleet size.
struct BehaviourDraft {
    let name: String
    let path: String
    var spec: BehaviourSpec
    var tagPattern: [IDPattern.Piece]?
    var tagPatternNode: Node?
    /// `idTagPool`, when given: the pattern's largest index.
    var tagPoolSize: Int?
    /// Written in a group (`behaviour: {...}`) rather than under `behaviours`.
    var isInline = false
}

extension SpecReader {
    static let behaviourKeys = [
        "arrival", "idleBetweenSessions", "plugToAuthorize", "chargeDuration", "unplugDelay", "powerKW", "energyKWh",
        "batteryKWh", "initialSoC", "powerCurve", "idTags", "idTagPattern", "idTagPool", "remoteStartShare",
        "invalidShare", "unknownShare", "faults", "outages", "reboots", "dataTransfer", "fileTransfer",
    ]
    static let powerCurveKeys = ["ramp", "taperFromSoC", "suspendShare", "suspendAfter", "suspendDuration"]
    /// Most events of one kind per hour per charge point: one a second.
    static let maxRatePerHour = 3600.0

    mutating func readBehaviours(_ node: Node, _ path: String) -> [BehaviourDraft] {
        guard let fields = fields(node, path, allowed: nil) else { return [] }
        var drafts: [BehaviourDraft] = []
        for (name, keyNode, value) in fields.entries {
            let field = fields.child(name)
            guard !name.isEmpty else {
                report(keyNode, field, "behaviour names must not be empty")
                continue
            }
            var draft = BehaviourDraft(name: name, path: field, spec: .default)
            // A behaviour with no keys (`commuter:` or `commuter: {}`) is all defaults.
            if !Self.isNull(value) { readBehaviour(value, into: &draft) }
            drafts.append(draft)
        }
        return drafts
    }

    mutating func readBehaviour(_ node: Node, into draft: inout BehaviourDraft) {
        guard let fields = fields(node, draft.path, allowed: Self.behaviourKeys) else { return }
        if fields.value("arrival") != nil, fields.value("idleBetweenSessions") != nil {
            report(fields.keyNode("idleBetweenSessions"), fields.child("idleBetweenSessions"),
                   "is the older name of arrival; give only one of them")
        }
        let durations: [(String, WritableKeyPath<BehaviourSpec, Distribution>)] = [
            ("arrival", \.arrival), ("idleBetweenSessions", \.arrival), ("plugToAuthorize", \.plugToAuthorize),
            ("chargeDuration", \.chargeDuration), ("unplugDelay", \.unplugDelay),
        ]
        for (key, keyPath) in durations {
            if let value = fields.value(key), let distribution = distribution(value, fields.child(key), .seconds) {
                draft.spec[keyPath: keyPath] = distribution
            }
        }
        let amounts: [(String, WritableKeyPath<BehaviourSpec, Distribution>, Quantity)] = [
            ("powerKW", \.powerKW, .kilowatts), ("batteryKWh", \.batteryKWh, .kilowattHours),
            ("initialSoC", \.initialSoC, .percent),
        ]
        for (key, keyPath, quantity) in amounts {
            if let value = fields.value(key), let distribution = distribution(value, fields.child(key), quantity) {
                draft.spec[keyPath: keyPath] = distribution
            }
        }
        if let value = fields.value("energyKWh") {
            draft.spec.energyKWh = distribution(value, fields.child("energyKWh"), .kilowattHours)
        }
        if let value = fields.value("powerCurve"), let curve = readPowerCurve(value, fields.child("powerCurve")) {
            draft.spec.powerCurve = curve
        }
        readTags(fields, into: &draft)
        if let value = fields.value("faults"), let faults = readFaults(value, fields.child("faults")) {
            draft.spec.faults = faults
        }
        if let value = fields.value("outages"), let outages = readOutages(value, fields.child("outages")) {
            draft.spec.outages = outages
        }
        if let value = fields.value("reboots"), let reboots = readReboots(value, fields.child("reboots")) {
            draft.spec.reboots = reboots
        }
        if let value = fields.value("fileTransfer"), let transfer = readFileTransfer(value, fields.child("fileTransfer")) {
            draft.spec.fileTransfer = transfer
        }
        if let value = fields.value("dataTransfer"), let transfer = readDataTransfer(value, fields.child("dataTransfer")) {
            draft.spec.dataTransfer = transfer
        }
    }

    /// idTags or idTagPattern (with idTagPool), and the shares of app, refused and unknown sessions.
    private mutating func readTags(_ fields: Fields, into draft: inout BehaviourDraft) {
        if let value = fields.value("idTags"), let tags = readIdTags(value, fields.child("idTags")) {
            draft.spec.idTags = .list(tags)
        }
        var pattern = BehaviourSpec.defaultIdTagPattern
        if let value = fields.value("idTagPattern"), let text = string(value, fields.child("idTagPattern")) {
            if fields.value("idTags") != nil {
                report(fields.keyNode("idTagPattern"), fields.child("idTagPattern"),
                       "give either idTags or idTagPattern, not both")
            } else if let pieces = checkedPattern(
                text, value, fields.child("idTagPattern"),
                allowed: IDPattern.isIdTagCharacter, rule: "cannot be in an idTag; use printable ASCII without spaces"
            ) {
                draft.spec.idTags = .pattern(text)
                draft.tagPattern = pieces
                draft.tagPatternNode = value
                pattern = text
            }
        }
        if let value = fields.value("idTagPool"),
           let size = integer(value, fields.child("idTagPool"), in: 1...Self.maxGroupCount) {
            if fields.value("idTags") != nil {
                report(fields.keyNode("idTagPool"), fields.child("idTagPool"),
                       "draws tags from idTagPattern, so it cannot be combined with idTags")
            } else {
                draft.spec.idTags = .pool(pattern: pattern, size: size)
                draft.tagPoolSize = size
                if draft.tagPattern == nil, case .success(let pieces) = IDPattern.parse(pattern) {
                    draft.tagPattern = pieces
                    draft.tagPatternNode = value
                }
            }
        }
        let shares: [(String, WritableKeyPath<BehaviourSpec, Double>)] = [
            ("remoteStartShare", \.remoteStartShare), ("invalidShare", \.invalidShare), ("unknownShare", \.unknownShare),
        ]
        var given: [(key: String, node: Node, value: Double)] = []
        for (key, keyPath) in shares {
            if let value = fields.value(key), let share = share(value, fields.child(key)) {
                draft.spec[keyPath: keyPath] = share
                given.append((key, value, share))
            }
        }
        let total = given.reduce(0) { $0 + $1.value }
        if total > 1 + 1e-9, let last = given.max(by: { ($0.node.mark?.line ?? 0) < ($1.node.mark?.line ?? 0) }) {
            let terms = given.map { "\($0.key) \(Self.text(of: $0.node))" }.joined(separator: " + ")
            report(last.node, fields.child(last.key), "the shares of sessions add up to more than 1: \(terms)")
        }
    }

    /// A number in 0...1.
    mutating func share(_ node: Node, _ path: String) -> Double? {
        guard let value = number(node, path) else { return nil }
        guard (0...1).contains(value) else {
            report(node, path, "must be between 0 and 1, got \(Self.text(of: node))")
            return nil
        }
        return value
    }

    /// Events per hour per charge point: > 0, at most one a second.
    private mutating func rate(_ fields: Fields) -> Double? {
        guard let node = required(fields, "ratePerHour"), let rate = number(node, fields.child("ratePerHour")) else {
            return nil
        }
        guard rate > 0 else {
            report(node, fields.child("ratePerHour"), "must be > 0, got \(Self.text(of: node)); leave the section out for none")
            return nil
        }
        guard rate <= Self.maxRatePerHour else {
            report(node, fields.child("ratePerHour"),
                   "must be at most \(Self.format(Self.maxRatePerHour)) (one a second), got \(Self.text(of: node))")
            return nil
        }
        return rate
    }

    private mutating func readPowerCurve(_ node: Node, _ path: String) -> PowerCurve? {
        guard let fields = fields(node, path, allowed: Self.powerCurveKeys) else { return nil }
        var curve = PowerCurve.flat
        if let value = fields.value("ramp"), let ramp = distribution(value, fields.child("ramp"), .seconds) {
            curve.ramp = ramp
        }
        if let value = fields.value("taperFromSoC"),
           let soc = self.value(value, fields.child("taperFromSoC"), .percent, allowZero: true) {
            curve.taperFromSoC = soc
        }
        if let value = fields.value("suspendShare"), let share = share(value, fields.child("suspendShare")) {
            curve.suspendShare = share
        }
        if let value = fields.value("suspendAfter"), let after = distribution(value, fields.child("suspendAfter"), .seconds) {
            curve.suspendAfter = after
        }
        if let value = fields.value("suspendDuration"),
           let duration = distribution(value, fields.child("suspendDuration"), .seconds) {
            curve.suspendDuration = duration
        }
        return curve
    }

    private mutating func readFaults(_ node: Node, _ path: String) -> FaultProfile? {
        guard let fields = fields(node, path, allowed: ["ratePerHour", "errorCode", "recovery"]) else { return nil }
        let rate = rate(fields)
        var faults = FaultProfile(ratePerHour: rate ?? 1)
        if let value = fields.value("errorCode"),
           let codes = wordChoice(value, fields.child("errorCode"), allowed: FaultProfile.errorCodes) {
            faults.errorCode = codes
        }
        if let value = fields.value("recovery"), let recovery = distribution(value, fields.child("recovery"), .seconds) {
            faults.recovery = recovery
        }
        return rate == nil ? nil : faults
    }

    private mutating func readOutages(_ node: Node, _ path: String) -> OutageProfile? {
        guard let fields = fields(node, path, allowed: ["ratePerHour", "duration"]) else { return nil }
        let rate = rate(fields)
        var outages = OutageProfile(ratePerHour: rate ?? 1)
        if let value = fields.value("duration"), let duration = distribution(value, fields.child("duration"), .seconds) {
            outages.duration = duration
        }
        return rate == nil ? nil : outages
    }

    private mutating func readReboots(_ node: Node, _ path: String) -> RebootProfile? {
        guard let fields = fields(node, path, allowed: ["ratePerHour"]) else { return nil }
        return rate(fields).map { RebootProfile(ratePerHour: $0) }
    }

    static let fileTransferKeys = ["download", "install", "upload", "downloadFailure", "installFailure",
                                   "uploadFailure", "signatureFailure"]

    private mutating func readFileTransfer(_ node: Node, _ path: String) -> FileTransferProfile? {
        guard let fields = fields(node, path, allowed: Self.fileTransferKeys) else { return nil }
        var transfer = FileTransferProfile.default
        let durations: [(String, WritableKeyPath<FileTransferProfile, Duration>)] = [
            ("download", \.download), ("install", \.install), ("upload", \.upload),
        ]
        for (key, keyPath) in durations {
            if let value = fields.value(key), let duration = duration(value, fields.child(key)) {
                transfer[keyPath: keyPath] = duration
            }
        }
        let shares: [(String, WritableKeyPath<FileTransferProfile, Double>)] = [
            ("downloadFailure", \.downloadFailure), ("installFailure", \.installFailure),
            ("uploadFailure", \.uploadFailure), ("signatureFailure", \.signatureFailure),
        ]
        for (key, keyPath) in shares {
            if let value = fields.value(key), let share = share(value, fields.child(key)) {
                transfer[keyPath: keyPath] = share
            }
        }
        return transfer
    }

    private mutating func readDataTransfer(_ node: Node, _ path: String) -> DataTransferProfile? {
        guard let fields = fields(node, path, allowed: ["ratePerHour", "vendorId", "messageId", "data"]) else { return nil }
        let rate = rate(fields)
        var transfer = DataTransferProfile(ratePerHour: rate ?? 1)
        if let value = fields.value("vendorId"), let vendor = text(value, fields.child("vendorId"), length: 1...255) {
            transfer.vendorId = vendor
        }
        if let value = fields.value("messageId"), let message = text(value, fields.child("messageId"), length: 1...50) {
            transfer.messageId = message
        }
        if let value = fields.value("data"), let data = string(value, fields.child("data")) {
            transfer.data = data
        }
        return rate == nil ? nil : transfer
    }

    private mutating func readIdTags(_ node: Node, _ path: String) -> [String]? {
        guard case .sequence(let items) = node else {
            report(node, path, "must be a list of idTags, got \(Self.describe(node))")
            return nil
        }
        guard !items.isEmpty else {
            report(node, path, "must list at least one idTag")
            return nil
        }
        var tags: [String] = []
        for (offset, item) in items.enumerated() {
            let field = "\(path)[\(offset)]"
            guard let tag = text(item, field, length: 1...Self.maxIdTagLength) else { continue }
            guard tag.allSatisfy(IDPattern.isIdTagCharacter) else {
                report(item, field, "must be printable ASCII without spaces, got '\(tag)'")
                continue
            }
            tags.append(tag)
        }
        return tags.count == items.count ? tags : nil
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// The scalar as the user wrote it, for messages.
    static func text(of node: Node) -> String {
        if case .scalar(let scalar) = node { return scalar.string }
        return describe(node)
    }
}
