import Yams

/// The `ramp` section as read, with what the cross-checks need to point back into the file.
struct RampDraft {
    var spec: RampSpec
    let keyNode: Node?
    /// The `steps` list, for the check that its counts add up to the fleet.
    var stepsNode: Node?
}

extension SpecReader {
    static let rampKinds = ["linear", "steps", "poisson"]
    /// Most charge points a Poisson ramp starts per second on average.
    static let maxRampRate = 100_000.0

    /// `ramp: {linear: 30s}`, `ramp: {steps: [{after: 0s, count: 100}, ...]}` or `ramp: {poisson: 50}`.
    mutating func readRamp(_ node: Node, _ path: String, keyNode: Node?) -> RampDraft? {
        guard let fields = fields(node, path, allowed: Self.rampKinds) else { return nil }
        guard let (kind, _, value) = fields.entries.first else {
            // An unknown kind has been reported; an empty mapping has not.
            if case .mapping(let mapping) = node, mapping.count == 0 {
                report(node, path, "must name a ramp: \(Self.rampKinds.joined(separator: ", "))")
            }
            return nil
        }
        if fields.entries.count > 1 {
            report(fields.entries[1].keyNode, path, "takes one ramp, got '\(kind)' and '\(fields.entries[1].key)'")
            return nil
        }
        let field = fields.child(kind)
        switch kind {
        case "linear":
            return duration(value, field).map { RampDraft(spec: .linear($0), keyNode: keyNode) }
        case "poisson":
            guard let rate = number(value, field) else { return nil }
            guard rate > 0, rate <= Self.maxRampRate else {
                report(value, field, "must be > 0 and at most \(Self.format(Self.maxRampRate)) charge points a second, got \(Self.text(of: value))")
                return nil
            }
            return RampDraft(spec: .poisson(perSecond: rate), keyNode: keyNode)
        case "steps":
            return readSteps(value, field).map { RampDraft(spec: .steps($0), keyNode: keyNode, stepsNode: value) }
        default:
            return nil  // reported as an unknown key
        }
    }

    private mutating func readSteps(_ node: Node, _ path: String) -> [RampStep]? {
        guard case .sequence(let items) = node, !items.isEmpty else {
            report(node, path, "must be a list of {after: ..., count: ...} steps, got \(Self.describe(node))")
            return nil
        }
        var steps: [RampStep] = []
        for (offset, item) in items.enumerated() {
            let field = "\(path)[\(offset)]"
            guard let entry = fields(item, field, allowed: ["after", "count", "over"]) else { continue }
            let after = required(entry, "after").flatMap { duration($0, entry.child("after")) }
            let count = required(entry, "count").flatMap { integer($0, entry.child("count"), in: 1...Self.maxGroupCount) }
            var over: Duration? = .zero
            if let value = entry.value("over") { over = duration(value, entry.child("over")) }
            guard let after, let count, let over else { continue }
            if let last = steps.last, steps.count == offset, after < last.after, let node = entry.value("after") {
                report(node, entry.child("after"),
                       "steps must be in time order, got \(formatDuration(after)) after \(formatDuration(last.after))")
            }
            steps.append(RampStep(after: after, count: count, over: over))
        }
        guard steps.count == items.count, zip(steps, steps.dropFirst()).allSatisfy({ $0.after <= $1.after }) else { return nil }
        return steps
    }

    /// `ramp` replaces `run.rampUp`; a stepped ramp must start exactly the spec's charge points.
    mutating func check(ramp: RampDraft, rampUpKey: Node?, total: Int?) {
        if rampUpKey != nil {
            report(ramp.keyNode, "ramp", "give either run.rampUp or ramp, not both (run.rampUp: X is ramp: {linear: X})")
        }
        if case .steps(let steps) = ramp.spec, let total {
            let started = steps.reduce(0) { $0 + $1.count }
            if started != total {
                report(ramp.stepsNode, "ramp.steps", "the steps start \(started) charge points, but the groups have \(total)")
            }
        }
    }
}
