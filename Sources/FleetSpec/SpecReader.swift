import ChargePoint
import Foundation
import OCPP
import Telemetry
import Yams

extension FleetSpec {
    /// Reads and validates the spec at `path`; an unreadable file is reported against the path.
    /// `ocppVersion` (from `run --ocpp-version`) replaces every group's version before the
    /// version-dependent checks (config keys), so they judge what will run.
    public static func load(path: String, ocppVersion: OCPPVersion? = nil) throws(SpecErrors) -> FleetSpec {
        func fail(_ message: String) -> SpecErrors {
            SpecErrors(errors: [SpecError(file: path, line: 1, column: 1, field: "(file)", message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw fail("no such file") }
        guard !isDirectory.boolValue else { throw fail("is a directory, not a fleet spec file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("is not valid UTF-8") }
        return try parse(yaml: text, file: path, ocppVersion: ocppVersion)
    }

    /// Parses and validates spec text; `file` is only used to label errors.
    ///
    /// Relative TLS file paths are resolved against `file`'s directory; `${NAME}` in a password
    /// is taken from `environment`.
    public static func parse(
        yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        ocppVersion: OCPPVersion? = nil
    ) throws(SpecErrors) -> FleetSpec {
        var reader = SpecReader(file: file, environment: environment)
        reader.ocppVersionOverride = ocppVersion
        let spec = reader.read(yaml: yaml)
        guard let spec, reader.errors.isEmpty else { throw SpecErrors(errors: reader.errorsInFileOrder) }
        return spec
    }
}

/// Walks the composed YAML tree, collecting every problem instead of stopping at the first.
struct SpecReader {
    let file: String
    /// Where relative file paths in the spec start: the spec file's directory.
    let baseDirectory: String
    /// Where `${NAME}` in a password is looked up.
    let environment: [String: String]
    let fileExists: (String) -> Bool
    /// Every group's OCPP version, whatever the spec says (`run --ocpp-version`).
    var ocppVersionOverride: OCPPVersion?
    private(set) var errors: [SpecError] = []

    init(file: String, environment: [String: String] = [:],
         fileExists: @escaping (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) {
        self.file = file
        let directory = (file as NSString).deletingLastPathComponent
        self.baseDirectory = directory.isEmpty ? FileManager.default.currentDirectoryPath : directory
        self.environment = environment
        self.fileExists = fileExists
    }

    /// Errors sorted by line, then column; errors at one place keep the order they were found in.
    /// A setting inherited by several groups is reported once.
    var errorsInFileOrder: [SpecError] {
        var seen = Set<String>()
        return errors.enumerated().sorted { lhs, rhs in
            (lhs.element.line, lhs.element.column, lhs.offset) < (rhs.element.line, rhs.element.column, rhs.offset)
        }.map(\.element).filter { seen.insert($0.description).inserted }
    }

    mutating func report(_ node: Node?, _ field: String, _ message: String) {
        report(node?.mark, field, message)
    }

    mutating func report(_ mark: Mark?, _ field: String, _ message: String) {
        errors.append(SpecError(
            file: file, line: mark?.line ?? 1, column: mark?.column ?? 1,
            field: field.isEmpty ? "(root)" : field, message: message
        ))
    }

    // MARK: - Document

    static let topLevelKeys = ["csms", "run", "ramp", "groups", "behaviours", "thresholds", "scenario"]

    mutating func read(yaml: String) -> FleetSpec? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            reportSyntax(error)
            return nil
        } catch {
            report(nil as Mark?, "(yaml)", "\(error)")
            return nil
        }
        guard let root, !Self.isNull(root) else {
            report(root, "(root)", "the spec is empty; it needs at least a 'groups' list")
            return nil
        }
        guard let top = fields(root, "", allowed: Self.topLevelKeys) else { return nil }
        let csms = top.value("csms").map { readCSMS($0, top.child("csms")) } ?? CSMSDraft()
        let run = top.value("run").map { readRun($0, top.child("run")) } ?? RunSettings()
        let behaviours = top.value("behaviours").map { readBehaviours($0, top.child("behaviours")) } ?? []
        var groups = required(top, "groups").map { readGroups($0, top.child("groups")) } ?? []
        let thresholds = top.value("thresholds").map { readThresholds($0, top.child("thresholds")) } ?? []
        let ramp = top.value("ramp").flatMap { readRamp($0, top.child("ramp"), keyNode: top.keyNode("ramp")) }
        let scenario = top.value("scenario").flatMap { readScenario($0, top.child("scenario"), csmsURL: csms.url?.value) }
        let resolved = check(groups: groups, behaviours: behaviours + groups.compactMap(\.inline))
        if let ramp {
            let rampUpKey = top.value("run").flatMap { run -> Node? in
                guard case .mapping(let mapping) = run else { return nil }
                return mapping.first { $0.key.string == "rampUp" }?.key
            }
            let total = !groups.isEmpty && groups.allSatisfy(\.countIsValid) ? groups.reduce(0) { $0 + $1.spec.count } : nil
            check(ramp: ramp, rampUpKey: rampUpKey, total: total)
        }
        resolveSecurity(of: &groups, csms: csms)
        guard errors.isEmpty else { return nil }
        var spec = FleetSpec(csmsURL: csms.url?.value, run: run, groups: groups.map(\.spec), behaviours: resolved,
                             thresholds: thresholds, ramp: ramp?.spec, scenario: scenario)
        spec.sourceAddresses = csms.sourceAddresses
        return spec
    }

    /// Every group's effective security: the `csms` section's keys, then the group's own.
    private mutating func resolveSecurity(of groups: inout [GroupDraft], csms: CSMSDraft) {
        let before = errors.count
        var index = 1
        let countsKnown = groups.allSatisfy(\.countIsValid)
        for offset in groups.indices where groups[offset].isMapping {
            let group = groups[offset]
            let first: (id: String, index: Int)? =
                countsKnown ? group.pattern.map { (id: IDPattern.format($0, index: index), index: index) } : nil
            index += group.spec.count
            let draft = group.securityDraft.map { csms.security.overridden(by: $0) } ?? csms.security
            groups[offset].spec.ocppVersion = ocppVersionOverride ?? draft.ocppVersion ?? .v16
            resolveConfig(of: &groups[offset])
            if let security = resolveSecurity(draft, url: csms.url, urlWasInvalid: csms.urlWasInvalid, scope: group.node,
                                              scopeField: "\(group.path).csms.securityProfile", firstChargePoint: first) {
                groups[offset].spec.security = security
            }
        }
        if csms.url == nil, !csms.urlWasInvalid, errors.count == before { checkEmbeddedAgreement(groups) }
    }

    // MARK: - thresholds

    /// A list of threshold expressions; a parse error points at its column inside the line.
    private mutating func readThresholds(_ node: Node, _ path: String) -> [Threshold] {
        guard case .sequence(let sequence) = node else {
            report(node, path, "must be a list of expressions like '- latency.p99 < 800ms', got \(Self.describe(node))")
            return []
        }
        var thresholds: [Threshold] = []
        for (index, item) in sequence.enumerated() {
            let field = "\(path)[\(index)]"
            guard case .scalar(let scalar) = item else {
                report(item, field, "must be an expression like 'latency.p99 < 800ms', got \(Self.describe(item))")
                continue
            }
            do {
                thresholds.append(try Threshold.parse(scalar.string))
            } catch {
                // Point into the line: past the opening quote of a quoted scalar.
                let quote = (scalar.style == .singleQuoted || scalar.style == .doubleQuoted) ? 1 : 0
                let mark = item.mark
                errors.append(SpecError(
                    file: file, line: mark?.line ?? 1, column: (mark?.column ?? 1) + quote + error.column - 1,
                    field: field, message: error.message))
            }
        }
        return thresholds
    }

    private mutating func reportSyntax(_ error: YamlError) {
        switch error {
        case .scanner(let context, let problem, let mark, let yaml),
             .parser(let context, let problem, let mark, let yaml),
             .composer(let context, let problem, let mark, let yaml):
            if problem == "but found another document" {
                report(mark, "(yaml)", "a fleet spec is a single YAML document, but another one starts here")
            } else if Self.character(at: mark, in: yaml) == "\t" {
                report(mark, "(yaml)", "tabs cannot indent YAML; use spaces")
            } else {
                let origin = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
                report(mark, "(yaml)", problem + origin)
            }
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            report(context.mark, "(yaml)", "duplicate key \(keys) in one mapping")
        case .reader(let problem, let offset, _, let yaml):
            let (line, column) = Self.lineAndColumn(of: offset ?? 0, in: yaml)
            errors.append(SpecError(file: file, line: line, column: column, field: "(yaml)", message: problem))
        default:
            report(nil as Mark?, "(yaml)", "\(error)")
        }
    }

    /// The Unicode scalar at a mark (line and column from 1, columns in scalars), if any.
    static func character(at mark: Mark, in text: String) -> Unicode.Scalar? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count, mark.column >= 1 else { return nil }
        let scalars = Array(lines[mark.line - 1].unicodeScalars)
        return mark.column <= scalars.count ? scalars[mark.column - 1] : nil
    }

    /// Line and column (from 1, columns in Unicode scalars) of a character offset.
    static func lineAndColumn(of offset: Int, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for char in text.prefix(offset) {
            if char.isNewline {
                line += 1
                column = 1
            } else {
                column += char.unicodeScalars.count
            }
        }
        return (line, column)
    }

    // MARK: - run

    static let runKeys = ["duration", "seed", "rampUp", "callTimeout", "stopTimeout", "rampDown", "reconnectInitial",
                          "reconnectMax", "timeScale", "maxFrameSize", "timerSlack"]

    private mutating func readRun(_ node: Node, _ path: String) -> RunSettings {
        var run = RunSettings()
        guard let fields = fields(node, path, allowed: Self.runKeys) else { return run }
        if let value = fields.value("duration"), let duration = positiveDuration(value, fields.child("duration")) {
            run.duration = duration
        }
        if let value = fields.value("seed"), let seed = unsigned(value, fields.child("seed")) {
            run.seed = seed
        }
        if let value = fields.value("rampUp"), let rampUp = duration(value, fields.child("rampUp")) {
            run.rampUp = rampUp
        }
        if let value = fields.value("callTimeout"), let timeout = positiveDuration(value, fields.child("callTimeout")) {
            run.callTimeout = timeout
        }
        if let value = fields.value("stopTimeout"), let timeout = duration(value, fields.child("stopTimeout")) {
            run.stopTimeout = timeout
        }
        if let value = fields.value("rampDown"), let rampDown = duration(value, fields.child("rampDown")) {
            if rampDown > run.stopTimeout {
                report(value, fields.child("rampDown"), """
                    must be at most stopTimeout (\(formatDuration(run.stopTimeout))): the stops' answers are awaited \
                    within it; got \(formatDuration(rampDown))
                    """)
            } else {
                run.rampDown = rampDown
            }
        }
        if let value = fields.value("reconnectInitial"),
           let initial = positiveDuration(value, fields.child("reconnectInitial")) {
            run.reconnectInitial = initial
        }
        if let value = fields.value("reconnectMax"), let max = positiveDuration(value, fields.child("reconnectMax")) {
            if max < run.reconnectInitial {
                report(value, fields.child("reconnectMax"),
                       "must be at least reconnectInitial (\(formatDuration(run.reconnectInitial))), got \(formatDuration(max))")
            } else {
                run.reconnectMax = max
            }
        }
        if let value = fields.value("timeScale"), let scale = number(value, fields.child("timeScale")) {
            if scale > 0, scale <= RunSettings.maxTimeScale {
                run.timeScale = scale
            } else {
                report(value, fields.child("timeScale"),
                       "must be greater than 0 and at most \(Int(RunSettings.maxTimeScale)), got \(Self.text(of: value))")
            }
        }
        if let value = fields.value("maxFrameSize"),
           let size = byteSize(value, fields.child("maxFrameSize"), in: RunSettings.maxFrameSizeRange) {
            run.maxFrameSize = size
        }
        if let value = fields.value("timerSlack"), let slack = duration(value, fields.child("timerSlack")) {
            let range = RunSettings.timerSlackRange
            if range.contains(slack) {
                run.timerSlack = slack
            } else {
                report(value, fields.child("timerSlack"), """
                    must be in \(formatDuration(range.lowerBound))...\(formatDuration(range.upperBound)), \
                    got \(formatDuration(slack))
                    """)
            }
        }
        return run
    }

    // MARK: - Mappings

    /// A mapping's entries, after unknown keys have been reported.
    struct Fields {
        let node: Node
        let path: String
        let entries: [(key: String, keyNode: Node, value: Node)]

        /// The value at `key`, or `nil` when the key is absent or its value is null.
        func value(_ key: String) -> Node? {
            guard let entry = entries.first(where: { $0.key == key }), !SpecReader.isNull(entry.value) else { return nil }
            return entry.value
        }

        func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }

        func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    }

    /// Checks that `node` is a mapping with string keys from `allowed` (any key when `nil`).
    mutating func fields(_ node: Node, _ path: String, allowed: [String]?) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "must be a mapping, got \(Self.describe(node))")
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(keyNode, path, "keys must be plain names, got \(Self.describe(keyNode))")
                continue
            }
            let key = scalar.string
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            if let allowed, !allowed.contains(key) {
                if key == "<<" {
                    report(keyNode, keyPath, "merge keys are not supported; repeat the keys instead")
                } else if let guess = closest(to: key, among: allowed) {
                    report(keyNode, keyPath, "unknown key; did you mean '\(guess)'?")
                } else {
                    report(keyNode, keyPath, "unknown key; expected one of: \(allowed.joined(separator: ", "))")
                }
                continue
            }
            entries.append((key, keyNode, value))
        }
        return Fields(node: node, path: path, entries: entries)
    }

    /// The value at `key`, reporting it when absent or null.
    mutating func required(_ fields: Fields, _ key: String) -> Node? {
        if let value = fields.value(key) { return value }
        if let keyNode = fields.keyNode(key) {
            report(keyNode, fields.child(key), "is required but has no value")
        } else {
            report(fields.node, fields.child(key), "is required")
        }
        return nil
    }

    // MARK: - Scalars

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): isNull(node) ? "nothing" : "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    mutating func string(_ node: Node, _ path: String) -> String? {
        scalar(node, path, expected: "a string")
    }

    /// The text of a scalar; a list or mapping is reported as not being what the field takes
    /// (`expected`: "an integer", "a duration like …"), since the text is all the readers look at.
    mutating func scalar(_ node: Node, _ path: String, expected: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "must be \(expected), got \(Self.describe(node))")
            return nil
        }
        return scalar.string
    }

    /// A string whose length (in characters) is in `range`.
    mutating func text(_ node: Node, _ path: String, length range: ClosedRange<Int>) -> String? {
        guard let text = string(node, path) else { return nil }
        guard range.contains(text.count) else {
            if text.isEmpty {
                report(node, path, "must not be empty")
            } else {
                report(node, path, "must be at most \(range.upperBound) characters, got \(text.count)")
            }
            return nil
        }
        return text
    }

    mutating func integer(_ node: Node, _ path: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = scalar(node, path, expected: "an integer") else { return nil }
        guard let value = Int(text) else {
            report(node, path, "must be an integer, got '\(text)'")
            return nil
        }
        guard range.contains(value) else {
            let bounds = range.upperBound == .max ? ">= \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            report(node, path, "must be \(bounds), got \(value)")
            return nil
        }
        return value
    }

    mutating func unsigned(_ node: Node, _ path: String) -> UInt64? {
        let expected = "an integer in 0...\(UInt64.max)"
        guard let text = scalar(node, path, expected: expected) else { return nil }
        guard let value = UInt64(text) else {
            report(node, path, "must be \(expected), got '\(text)'")
            return nil
        }
        return value
    }

    /// A size in bytes (`65536`, `64KiB`, `1 MiB`) within `range`.
    mutating func byteSize(_ node: Node, _ path: String, in range: ClosedRange<Int>) -> Int? {
        let expected = "a size like 65536, 64KiB or 1MiB (units B, KiB, MiB, GiB)"
        guard let text = scalar(node, path, expected: expected) else { return nil }
        guard let size = ByteSize.parse(text) else {
            report(node, path, "must be \(expected), got '\(text)'")
            return nil
        }
        guard range.contains(size) else {
            report(node, path, "must be in \(ByteSize.format(range.lowerBound))...\(ByteSize.format(range.upperBound)), got '\(text)'")
            return nil
        }
        return size
    }

    /// A finite decimal number (`7`, `7.5`, `1e3`).
    mutating func number(_ node: Node, _ path: String) -> Double? {
        guard let text = scalar(node, path, expected: "a number") else { return nil }
        guard let value = Double(text), value.isFinite else {
            report(node, path, "must be a number, got '\(text)'")
            return nil
        }
        return value
    }

    static let durationExpected = "a duration like 500ms, 40s, 15m, 8h, 1h30m or whole seconds"
    static let durationHint = "must be \(durationExpected)"

    mutating func duration(_ node: Node, _ path: String) -> Duration? {
        guard let text = scalar(node, path, expected: Self.durationExpected) else { return nil }
        guard let duration = parseDuration(text) else {
            report(node, path, "\(Self.durationHint), got '\(text)'")
            return nil
        }
        return duration
    }

    mutating func positiveDuration(_ node: Node, _ path: String) -> Duration? {
        guard let value = duration(node, path) else { return nil }
        guard value > .zero else {
            report(node, path, "must be > 0, got \(formatDuration(value))")
            return nil
        }
        return value
    }
}
