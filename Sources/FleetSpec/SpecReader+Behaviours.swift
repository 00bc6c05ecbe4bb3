import Yams

/// A behaviour as read, with its idTag pattern kept for the length check that needs the fleet size.
struct BehaviourDraft {
    let name: String
    let path: String
    var spec: BehaviourSpec
    var tagPattern: [IDPattern.Piece]?
    var tagPatternNode: Node?
}

extension SpecReader {
    static let behaviourKeys = [
        "idleBetweenSessions", "plugToAuthorize", "chargeDuration", "unplugDelay", "powerKW",
        "idTags", "idTagPattern", "remoteStartShare",
    ]
    static let distributionKinds = ["uniform", "exponential", "normal", "lognormal"]

    /// What a distribution's values measure: durations (sampled as seconds, may be 0) or power
    /// (plain kilowatt numbers, > 0).
    enum Quantity {
        case seconds
        case kilowatts
    }

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

    private mutating func readBehaviour(_ node: Node, into draft: inout BehaviourDraft) {
        guard let fields = fields(node, draft.path, allowed: Self.behaviourKeys) else { return }
        let durations: [(String, WritableKeyPath<BehaviourSpec, Distribution>)] = [
            ("idleBetweenSessions", \.idleBetweenSessions), ("plugToAuthorize", \.plugToAuthorize),
            ("chargeDuration", \.chargeDuration), ("unplugDelay", \.unplugDelay),
        ]
        for (key, keyPath) in durations {
            if let value = fields.value(key), let distribution = distribution(value, fields.child(key), .seconds) {
                draft.spec[keyPath: keyPath] = distribution
            }
        }
        if let value = fields.value("powerKW"), let power = distribution(value, fields.child("powerKW"), .kilowatts) {
            draft.spec.powerKW = power
        }
        if let value = fields.value("idTags"), let tags = readIdTags(value, fields.child("idTags")) {
            draft.spec.idTags = .list(tags)
        }
        if let value = fields.value("idTagPattern"), let pattern = string(value, fields.child("idTagPattern")) {
            if fields.value("idTags") != nil {
                report(fields.keyNode("idTagPattern"), fields.child("idTagPattern"),
                       "give either idTags or idTagPattern, not both")
            } else if let pieces = checkedPattern(
                pattern, value, fields.child("idTagPattern"),
                allowed: IDPattern.isIdTagCharacter, rule: "cannot be in an idTag; use printable ASCII without spaces"
            ) {
                draft.spec.idTags = .pattern(pattern)
                draft.tagPattern = pieces
                draft.tagPatternNode = value
            }
        }
        if let value = fields.value("remoteStartShare"), let share = number(value, fields.child("remoteStartShare")) {
            if (0...1).contains(share) {
                draft.spec.remoteStartShare = share
            } else {
                report(value, fields.child("remoteStartShare"), "must be between 0 and 1, got \(Self.text(of: value))")
            }
        }
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

    // MARK: - Distributions

    /// A bare value (constant) or a one-key mapping naming the distribution.
    mutating func distribution(_ node: Node, _ path: String, _ quantity: Quantity) -> Distribution? {
        switch node {
        case .scalar:
            guard let value = positive(node, path, quantity, allowZero: quantity == .seconds) else { return nil }
            return .constant(value)
        case .mapping(let mapping):
            guard let fields = fields(node, path, allowed: Self.distributionKinds) else { return nil }
            if mapping.count == 0 {
                report(node, path, "must name a distribution: \(Self.distributionKinds.joined(separator: ", "))")
                return nil
            }
            guard let (kind, _, value) = fields.entries.first else { return nil }
            if fields.entries.count > 1 {
                report(fields.entries[1].keyNode, path,
                       "takes one distribution, got '\(kind)' and '\(fields.entries[1].key)'")
                return nil
            }
            return distribution(kind: kind, value, fields.child(kind), quantity)
        case .sequence, .alias:
            report(node, path, "must be a value or a distribution such as {uniform: [a, b]}, got \(Self.describe(node))")
            return nil
        }
    }

    private mutating func distribution(kind: String, _ node: Node, _ path: String, _ quantity: Quantity) -> Distribution? {
        switch kind {
        case "uniform":
            guard case .sequence(let bounds) = node, bounds.count == 2 else {
                report(node, path, "must be a list of two values [low, high], got \(Self.describe(node))")
                return nil
            }
            let low = positive(bounds[0], "\(path)[0]", quantity, allowZero: quantity == .seconds)
            let high = positive(bounds[1], "\(path)[1]", quantity, allowZero: quantity == .seconds)
            guard let low, let high else { return nil }
            guard low <= high else {
                report(node, path, "low must not be above high, got [\(Self.text(of: bounds[0])), \(Self.text(of: bounds[1]))]")
                return nil
            }
            return .uniform(lower: low, upper: high)
        case "exponential":
            return positive(node, path, quantity, allowZero: false).map { .exponential(mean: $0) }
        case "normal":
            guard let fields = fields(node, path, allowed: ["mean", "stddev"]) else { return nil }
            let mean = required(fields, "mean").flatMap {
                positive($0, fields.child("mean"), quantity, allowZero: quantity == .seconds)
            }
            let stddev = required(fields, "stddev").flatMap {
                positive($0, fields.child("stddev"), quantity, allowZero: true)
            }
            guard let mean, let stddev else { return nil }
            return .normal(mean: mean, stddev: stddev)
        case "lognormal":
            guard let fields = fields(node, path, allowed: ["median", "sigma"]) else { return nil }
            let median = required(fields, "median").flatMap {
                positive($0, fields.child("median"), quantity, allowZero: false)
            }
            let sigma = required(fields, "sigma").flatMap { sigma -> Double? in
                guard let value = number(sigma, fields.child("sigma")) else { return nil }
                guard value >= 0 else {
                    report(sigma, fields.child("sigma"), "must be >= 0, got \(Self.text(of: sigma))")
                    return nil
                }
                return value
            }
            guard let median, let sigma else { return nil }
            return .lognormal(median: median, sigma: sigma)
        default:
            return nil  // `fields(_:_:allowed:)` has reported the unknown kind.
        }
    }

    /// A duration in seconds or a kilowatt number, > 0 (or >= 0 with `allowZero`).
    private mutating func positive(_ node: Node, _ path: String, _ quantity: Quantity, allowZero: Bool) -> Double? {
        let value: Double?
        switch quantity {
        case .seconds: value = duration(node, path).map(Self.seconds)
        case .kilowatts: value = number(node, path)
        }
        guard let value else { return nil }
        guard value > 0 || (allowZero && value == 0) else {
            report(node, path, "must be \(allowZero ? ">=" : ">") 0, got \(Self.text(of: node))")
            return nil
        }
        return value
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
