import ChargePoint
import Telemetry
import Yams

/// A group as read, with what the cross-group checks need to point back into the file.
struct GroupDraft {
    var spec: GroupSpec
    let node: Node
    let path: String
    /// False when the entry was not a mapping; such a group takes part in no cross-check.
    var isMapping = false
    var nameNode: Node?
    var behaviourNode: Node?
    var countIsValid = false
    var pattern: [IDPattern.Piece]?
    var patternNode: Node?
    /// The group's own `csms` overrides, if it has any.
    var securityDraft: SecurityDraft?
    var serial: [IDPattern.Piece]?
    var serialNode: Node?
    /// A behaviour written inline (`behaviour: {arrival: 5m, ...}`), named by its path.
    var inline: BehaviourDraft?
    /// Where each of `spec.config`'s keys is written, in the same order: the key read for the
    /// group's OCPP version once that is known (`resolveConfig`).
    var configKeys: [(node: Node, field: String)] = []
}

extension SpecReader {
    static let groupKeys = [
        "name", "count", "idPattern", "vendor", "model", "firmwareVersion", "serialPattern", "connectors",
        "initialMeterWh", "startOffset", "securityEvents", "behaviour", "config", "csms",
    ]
    static let connectorKeys = ["count", "type", "current", "phases", "maxCurrentA", "maxPowerKW"]
    /// chargePointSerialNumber is CiString25 in OCPP 1.6.
    static let maxSerialLength = 25
    /// Largest connector rating accepted, in A and in kW.
    static let maxConnectorRating = 1000.0
    /// Upper bound of a group's `count`, so a typo cannot plan a billion charge points.
    static let maxGroupCount = 1_000_000
    static let maxConnectors = 16
    /// Longest charge point id: OCPP-J puts it in the URL; 1.6 caps `chargeBoxIdentity` at 48.
    static let maxIDLength = 48
    /// IdToken is CiString20 in OCPP 1.6.
    static let maxIdTagLength = 20

    mutating func readGroups(_ node: Node, _ path: String) -> [GroupDraft] {
        guard case .sequence(let items) = node else {
            report(node, path, "must be a list of groups, got \(Self.describe(node))")
            return []
        }
        guard !items.isEmpty else {
            report(node, path, "must list at least one group")
            return []
        }
        return items.enumerated().map { offset, item in readGroup(item, "\(path)[\(offset)]", number: offset + 1) }
    }

    private mutating func readGroup(_ node: Node, _ path: String, number: Int) -> GroupDraft {
        var draft = GroupDraft(spec: GroupSpec(name: "group-\(number)", count: 0, idPattern: ""), node: node, path: path)
        guard let fields = fields(node, path, allowed: Self.groupKeys) else { return draft }
        draft.isMapping = true
        if let value = fields.value("name"), let name = text(value, fields.child("name"), length: 1...100) {
            draft.spec.name = name
            draft.nameNode = value
        }
        if let value = required(fields, "count"),
           let count = integer(value, fields.child("count"), in: 1...Self.maxGroupCount) {
            draft.spec.count = count
            draft.countIsValid = true
        }
        if let value = required(fields, "idPattern"), let written = string(value, fields.child("idPattern")) {
            // `{group}` is the group's name, the same for all its charge points: resolved here,
            // so the pattern's checks (characters, lengths, collisions) see the real ids.
            let pattern = written.replacingOccurrences(of: "{group}", with: draft.spec.name)
            draft.spec.idPattern = pattern
            draft.patternNode = value
            draft.pattern = checkedPattern(
                pattern, value, fields.child("idPattern"),
                allowed: IDPattern.isChargePointIDCharacter,
                rule: "cannot be in a charge point id; use letters, digits and - _ . ~ :"
            )
        }
        if let value = fields.value("vendor"), let vendor = text(value, fields.child("vendor"), length: 1...20) {
            draft.spec.vendor = vendor
        }
        if let value = fields.value("model"), let model = text(value, fields.child("model"), length: 1...20) {
            draft.spec.model = model
        }
        if let value = fields.value("firmwareVersion"),
           let version = text(value, fields.child("firmwareVersion"), length: 1...50) {
            draft.spec.firmwareVersion = version
        }
        if let value = fields.value("serialPattern"), let written = string(value, fields.child("serialPattern")) {
            let pattern = written.replacingOccurrences(of: "{group}", with: draft.spec.name)
            draft.serial = checkedPattern(
                pattern, value, fields.child("serialPattern"),
                allowed: IDPattern.isIdTagCharacter, rule: "cannot be in a serial number; use printable ASCII without spaces"
            )
            if draft.serial != nil {
                draft.spec.serialPattern = pattern
                draft.serialNode = value
            }
        }
        if let value = fields.value("connectors"), let connectors = readConnectors(value, fields.child("connectors")) {
            draft.spec.connectors = connectors.count
            draft.spec.connectorSpecs = connectors
        }
        if let value = fields.value("initialMeterWh"),
           let meter = distribution(value, fields.child("initialMeterWh"), .wattHours) {
            draft.spec.initialMeterWh = meter
        }
        if let value = fields.value("startOffset"), let offset = duration(value, fields.child("startOffset")) {
            draft.spec.startOffset = offset
        }
        if let value = fields.value("securityEvents"), let events = boolean(value, fields.child("securityEvents")) {
            draft.spec.securityEvents = events
        }
        if let value = fields.value("behaviour") {
            if case .mapping = value {
                var inline = BehaviourDraft(name: fields.child("behaviour"), path: fields.child("behaviour"), spec: .default,
                                            isInline: true)
                readBehaviour(value, into: &inline)
                draft.spec.behaviour = inline.name
                draft.inline = inline
            } else if let behaviour = text(value, fields.child("behaviour"), length: 1...100) {
                draft.spec.behaviour = behaviour
                draft.behaviourNode = value
            }
        }
        if let value = fields.value("config") {
            (draft.spec.config, draft.configKeys) = readConfig(value, fields.child("config"))
        }
        if let value = fields.value("csms") {
            draft.securityDraft = readGroupCSMS(value, fields.child("csms"))
        }
        return draft
    }

    /// `connectors`: a count, one mapping (with `count`) for identical connectors, or a list of
    /// mappings (each with an optional `count`, default 1) in connector order. 1...16 in all.
    private mutating func readConnectors(_ node: Node, _ path: String) -> [ConnectorSpec]? {
        switch node {
        case .scalar:
            return integer(node, path, in: 1...Self.maxConnectors).map { Array(repeating: .standardAC, count: $0) }
        case .mapping:
            return connectorEntry(node, path)
        case .sequence(let items):
            guard !items.isEmpty else {
                report(node, path, "must list at least one connector")
                return nil
            }
            var all: [ConnectorSpec] = []
            var complete = true
            for (offset, item) in items.enumerated() {
                if let some = connectorEntry(item, "\(path)[\(offset)]") {
                    all += some
                } else {
                    complete = false
                }
            }
            guard complete else { return nil }
            guard all.count <= Self.maxConnectors else {
                report(node, path, "must add up to at most \(Self.maxConnectors) connectors, got \(all.count)")
                return nil
            }
            return all
        case .alias:
            report(node, path, "must be a number of connectors, a mapping or a list of mappings, got \(Self.describe(node))")
            return nil
        }
    }

    private mutating func connectorEntry(_ node: Node, _ path: String) -> [ConnectorSpec]? {
        guard let fields = fields(node, path, allowed: Self.connectorKeys) else { return nil }
        var valid = true
        var count = 1
        if let value = fields.value("count") {
            if let parsed = integer(value, fields.child("count"), in: 1...Self.maxConnectors) { count = parsed } else { valid = false }
        }
        var plug: ConnectorSpec.Plug?
        if let value = fields.value("type") {
            plug = word(value, fields.child("type"), ConnectorSpec.Plug.allCases.map(\.rawValue)).flatMap(ConnectorSpec.Plug.init)
            valid = valid && plug != nil
        }
        var current: ConnectorSpec.Current?
        if let value = fields.value("current") {
            current = word(value, fields.child("current"), ConnectorSpec.Current.allCases.map(\.rawValue))
                .flatMap(ConnectorSpec.Current.init)
            if let plug, let current, let fixed = plug.fixedCurrent, fixed != current {
                report(value, fields.child("current"), "a \(plug.rawValue) connector carries \(fixed.rawValue), got \(current.rawValue)")
                valid = false
            }
            valid = valid && current != nil
        }
        let isDC = (current ?? plug?.fixedCurrent) == .dc
        var phases: Int?
        if let value = fields.value("phases") {
            if isDC {
                report(value, fields.child("phases"), "applies to AC connectors only")
                valid = false
            } else if case .scalar = value, let parsed = Int(Self.text(of: value)), parsed == 1 || parsed == 3 {
                phases = parsed
            } else {
                report(value, fields.child("phases"), "must be 1 or 3, got \(Self.text(of: value))")
                valid = false
            }
        }
        func rating(_ key: String) -> Double? {
            guard let value = fields.value(key) else { return nil }
            guard let number = self.number(value, fields.child(key)) else { valid = false; return nil }
            guard number > 0, number <= Self.maxConnectorRating else {
                report(value, fields.child(key),
                       "must be > 0 and at most \(Self.format(Self.maxConnectorRating)), got \(Self.text(of: value))")
                valid = false
                return nil
            }
            return number
        }
        let amps = rating("maxCurrentA")
        let kilowatts = rating("maxPowerKW")
        guard valid else { return nil }
        let spec = ConnectorSpec.resolved(type: plug, current: current, phases: phases, maxCurrentA: amps, maxPowerKW: kilowatts)
        return Array(repeating: spec, count: count)
    }

    /// One of `allowed` exactly, with a "did you mean" for a near miss.
    mutating func word(_ node: Node, _ path: String, _ allowed: [String]) -> String? {
        let expected = "one of \(allowed.joined(separator: ", "))"
        guard let text = scalar(node, path, expected: expected) else { return nil }
        guard allowed.contains(text) else {
            if let guess = closest(to: text, among: allowed) {
                report(node, path, "unknown value '\(text)'; did you mean '\(guess)'?")
            } else {
                report(node, path, "must be \(expected), got '\(text)'")
            }
            return nil
        }
        return text
    }

    /// Parses an id or idTag pattern, reporting syntax problems and characters `allowed` rejects.
    mutating func checkedPattern(
        _ pattern: String, _ node: Node, _ path: String, allowed: (Character) -> Bool, rule: String
    ) -> [IDPattern.Piece]? {
        switch IDPattern.parse(pattern) {
        case .failure(let problem):
            report(node, path, problem.message)
            return nil
        case .success(let pieces):
            let bad = IDPattern.disallowedCharacters(pieces, allowed: allowed)
            guard bad.isEmpty else {
                let list = bad.map { "'\($0)'" }.joined(separator: ", ")
                report(node, path, "has \(list), which \(rule)")
                return nil
            }
            return pieces
        }
    }

    /// A 2.0.1 `Component.Variable[Instance]`: three names of at most 50 characters (1.6 keys are
    /// CiString50; a longer one is not a 1.6 key, which the version's vocabulary then says).
    static let maxConfigKeyLength = 154

    static let trueWords: Set = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"]
    static let falseWords: Set = ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"]

    /// OCPP configuration overrides: key (CiString50) → scalar value (CiString500), in file order,
    /// with where each key is written. Plain YAML booleans become `true` / `false`, the spelling
    /// OCPP uses.
    private mutating func readConfig(_ node: Node, _ path: String) -> ([ConfigOverride], [(node: Node, field: String)]) {
        guard let fields = fields(node, path, allowed: nil) else { return ([], []) }
        var overrides: [ConfigOverride] = []
        var keys: [(node: Node, field: String)] = []
        for (key, keyNode, value) in fields.entries {
            let field = fields.child(key)
            guard (1...Self.maxConfigKeyLength).contains(key.count) else {
                report(keyNode, field, key.isEmpty
                    ? "configuration keys must not be empty"
                    : "configuration keys are at most \(Self.maxConfigKeyLength) characters, got \(key.count)")
                continue
            }
            guard case .scalar(let scalar) = value, !Self.isNull(value) else {
                report(value, field, "must be a string, number or boolean, got \(Self.describe(value))")
                continue
            }
            var text = scalar.string
            if scalar.style == .plain || scalar.style == .any {
                if Self.trueWords.contains(text) { text = "true" }
                if Self.falseWords.contains(text) { text = "false" }
            }
            guard text.count <= 500 else {
                report(value, field, "must be at most 500 characters, got \(text.count)")
                continue
            }
            overrides.append(ConfigOverride(key: key, value: text))
            keys.append((keyNode, field))
        }
        return (overrides, keys)
    }

    /// Reads each `config` key for the group's OCPP version (`ConfigurationVocabulary`): a 2.0.1
    /// group's 1.6 keys become the device-model variables that replaced them, and a key that
    /// means nothing to the version's engine is an error where it is written.
    mutating func resolveConfig(of group: inout GroupDraft) {
        let version = group.spec.ocppVersion
        for (offset, (node, field)) in zip(group.spec.config.indices, group.configKeys) {
            let entry = group.spec.config[offset]
            switch ConfigurationVocabulary.read(entry.key, value: entry.value, for: version) {
            case .name(let name):
                group.spec.config[offset].key = name
            case .meaningless(let why):
                // The version came from the command line, not from the file: say so.
                let source = ocppVersionOverride.map { " (--ocpp-version \($0.rawValue))" } ?? ""
                report(node, field, "\(why)\(source)")
            }
        }
    }

    // MARK: - Cross-checks

    /// Checks what spans sections: unique group names, behaviour references, charge point ids and
    /// idTag lengths. Returns the behaviours the spec ends up with (built-in default included).
    mutating func check(groups: [GroupDraft], behaviours: [BehaviourDraft]) -> [String: BehaviourSpec] {
        var firstGroupNamed: [String: GroupDraft] = [:]
        for group in groups where group.isMapping {
            if let first = firstGroupNamed[group.spec.name] {
                report(group.nameNode ?? group.node, "\(group.path).name",
                       "duplicate group name '\(group.spec.name)' (also \(first.path))")
            } else {
                firstGroupNamed[group.spec.name] = group
            }
        }

        var resolved: [String: BehaviourSpec] = [:]
        for behaviour in behaviours { resolved[behaviour.name] = behaviour.spec }
        let defined = behaviours.filter { !$0.isInline }.map(\.name)
        for group in groups where group.isMapping && resolved[group.spec.behaviour] == nil {
            if group.spec.behaviour == BehaviourSpec.defaultName {
                resolved[BehaviourSpec.defaultName] = .default
            } else if let node = group.behaviourNode {
                report(node, "\(group.path).behaviour", unknownBehaviour(group.spec.behaviour, defined: defined))
            }
        }

        // Ids and idTags depend on every group's count, so check them only when all counts are known.
        guard !groups.isEmpty, groups.allSatisfy(\.countIsValid) else { return resolved }
        let total = groups.reduce(0) { $0 + $1.spec.count }
        for behaviour in behaviours {
            guard let pieces = behaviour.tagPattern, let node = behaviour.tagPatternNode else { continue }
            let longest = IDPattern.format(pieces, index: behaviour.tagPoolSize ?? total)
            if longest.count > Self.maxIdTagLength {
                report(node, "\(behaviour.path).idTagPattern",
                       "idTags reach \(longest.count) characters ('\(longest)'); the most is \(Self.maxIdTagLength)")
            }
        }
        checkIDs(groups)
        return resolved
    }

    private func unknownBehaviour(_ name: String, defined: [String]) -> String {
        if let guess = closest(to: name, among: defined + [BehaviourSpec.defaultName]) {
            return "unknown behaviour '\(name)'; did you mean '\(guess)'?"
        }
        if defined.isEmpty { return "unknown behaviour '\(name)'; the spec defines no behaviours" }
        return "unknown behaviour '\(name)'; defined: \(defined.sorted().joined(separator: ", "))"
    }

    /// Every id at most 48 characters and unique across the fleet; one report per group. Only groups
    /// whose patterns may collide (`IDPattern.mayCollide`) have their ids generated and compared.
    private mutating func checkIDs(_ groups: [GroupDraft]) {
        var ranges: [ClosedRange<Int>] = []
        var last = 0
        for group in groups {
            ranges.append((last + 1)...(last + group.spec.count))
            last += group.spec.count
        }
        for (offset, group) in groups.enumerated() {
            if let serial = group.serial {
                let longest = IDPattern.format(serial, index: ranges[offset].upperBound)
                if longest.count > Self.maxSerialLength {
                    report(group.serialNode, "\(group.path).serialPattern",
                           "serial numbers reach \(longest.count) characters ('\(longest)'); the most is \(Self.maxSerialLength)")
                }
            }
            guard let pieces = group.pattern else { continue }
            let longest = IDPattern.format(pieces, index: ranges[offset].upperBound)
            if longest.count > Self.maxIDLength {
                report(group.patternNode, "\(group.path).idPattern",
                       "ids reach \(longest.count) characters ('\(longest)'); the most is \(Self.maxIDLength)")
            }
        }
        let patterns = groups.compactMap(\.pattern)
        guard patterns.count == groups.count else { return }
        let risky = groups.indices.filter { offset in
            patterns.contains { IDPattern.mayCollide(patterns[offset], $0) }
        }
        var owner: [String: (index: Int, path: String)] = [:]
        owner.reserveCapacity(risky.reduce(0) { $0 + groups[$1].spec.count })
        for offset in risky {
            let group = groups[offset]
            for index in ranges[offset] {
                let id = IDPattern.format(patterns[offset], index: index)
                if let earlier = owner[id] {
                    report(group.patternNode, "\(group.path).idPattern",
                           "id '\(id)' (index \(index)) is also the id of index \(earlier.index) (\(earlier.path))")
                    break
                }
                owner[id] = (index, group.path)
            }
        }
    }
}
