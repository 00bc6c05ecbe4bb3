import OCPP
import Telemetry
import Yams

extension SpecReader {
    static let scenarioKeys = ["remoteStart", "calls"]
    static let remoteStartKeys = ["after", "idTag"]
    static let scenarioCallKeys = ["send", "ocppVersion", "when", "share", "payload"]

    /// The `scenario` section. Each payload is checked against its action's typed request of
    /// its OCPP version, with `{now…}` and `{openTransaction}` filled in as they would be when sent.
    /// With an external CSMS (`csms.url`) the section is an error: only the embedded CSMS plays it.
    mutating func readScenario(_ node: Node, _ path: String, csmsURL: String?) -> ScenarioSpec? {
        guard let fields = fields(node, path, allowed: Self.scenarioKeys) else { return nil }
        if csmsURL != nil {
            report(node, path, "is played by the embedded CSMS only; remove csms.url to use it (an external CSMS sends its own CALLs)")
        }
        var scenario = ScenarioSpec()
        if let value = fields.value("remoteStart") {
            let remotePath = fields.child("remoteStart")
            if let remote = self.fields(value, remotePath, allowed: Self.remoteStartKeys) {
                let after = required(remote, "after").flatMap { duration($0, remote.child("after")) }
                var idTag = ScenarioSpec.defaultIdTag
                if let tagNode = remote.value("idTag"), let tag = text(tagNode, remote.child("idTag"), length: 1...20) {
                    idTag = tag
                }
                if let after { scenario.remoteStart = .init(after: after, idTag: idTag) }
            }
        }
        if let value = fields.value("calls") {
            let callsPath = fields.child("calls")
            if case .sequence(let items) = value {
                for (index, item) in items.enumerated() {
                    scenario.calls += readScenarioCall(item, "\(callsPath)[\(index)]")
                }
            } else {
                report(value, callsPath, "must be a list of calls like '- send: TriggerMessage', got \(Self.describe(value))")
            }
        }
        return scenario
    }

    /// One entry of `calls`: one call, or two when it names an action of both versions without
    /// `ocppVersion` and its payload fits both (a TriggerMessage of Heartbeat goes to 1.6 and 2.0.1
    /// charge points alike; a Reset of type Soft is 1.6 only).
    private mutating func readScenarioCall(_ node: Node, _ path: String) -> [ScenarioSpec.Call] {
        guard let fields = fields(node, path, allowed: Self.scenarioCallKeys) else { return [] }
        var versions = OCPPVersion.allCases
        if let versionNode = fields.value("ocppVersion") {
            let known = OCPPVersion.allCases.map(\.rawValue)
            if let text = string(versionNode, fields.child("ocppVersion")) {
                if let version = OCPPVersion(rawValue: text) {
                    versions = [version]
                } else {
                    report(versionNode, fields.child("ocppVersion"),
                           "must be one of \(known.map { "\"\($0)\"" }.joined(separator: ", ")), got '\(text)'")
                    return []
                }
            }
        }
        var actions: [VersionedAction] = []
        if let sendNode = required(fields, "send"), let name = string(sendNode, fields.child("send")) {
            let named = versions.compactMap { VersionedAction(name, version: $0) }
            actions = named.filter(\.initiatedByCentralSystem)
            let versionText = versions.map(\.rawValue).joined(separator: " or ")
            if actions.isEmpty, !named.isEmpty {
                report(sendNode, fields.child("send"), "\(name) is sent by a charge point, not by a central system")
            } else if actions.isEmpty {
                let sendable = Set(versions.flatMap(Self.sendableActions)).sorted()
                if let guess = closest(to: name, among: sendable) {
                    report(sendNode, fields.child("send"), "unknown action '\(name)'; did you mean '\(guess)'?")
                } else {
                    report(sendNode, fields.child("send"),
                           "unknown action '\(name)'; expected an OCPP \(versionText) action a central system sends")
                }
            }
        }
        let when = required(fields, "when").flatMap { readWhen($0, fields.child("when")) }
        var share = 1.0
        if let value = fields.value("share"), let number = number(value, fields.child("share")) {
            if (0...1).contains(number) {
                share = number
            } else {
                report(value, fields.child("share"), "must be between 0 and 1, got \(number)")
            }
        }
        var payload = JSONValue.object([])
        let payloadPath = fields.child("payload")
        if let value = fields.value("payload") {
            guard let json = jsonValue(value, payloadPath) else { return [] }
            guard case .object = json else {
                report(value, payloadPath, "must be a mapping (the request's fields), got \(Self.describe(value))")
                return []
            }
            payload = json
        }
        guard !actions.isEmpty, let when else { return [] }
        // Checked as it would be sent: {now…} a timestamp, {openTransaction} an id of the version.
        var fitting: [VersionedAction] = []
        var problems: [(OCPPVersion, String)] = []
        for action in actions {
            guard let types = action.payloadTypes else {
                fitting.append(action)
                continue
            }
            do throws(CallError) {
                _ = try types.request.init(json: Self.fillPlaceholders(payload, version: action.version))
                fitting.append(action)
            } catch {
                problems.append((action.version, error.description))
            }
        }
        if fitting.isEmpty, let name = actions.first?.name {
            let message = problems.count == 1
                ? "is not a valid \(name) request of OCPP \(problems[0].0.rawValue): \(problems[0].1)"
                : "is not a valid \(name) request of any OCPP version: "
                    + problems.map { "\($0.0.rawValue): \($0.1)" }.joined(separator: "; ")
            report(fields.value("payload") ?? fields.node, payloadPath, message)
            return []
        }
        return fitting.map { .init(action: $0, when: when, share: share, payload: payload) }
    }

    /// The names of the actions a central system sends in `version`.
    private static func sendableActions(_ version: OCPPVersion) -> [String] {
        switch version {
        case .v16: V16.Action.allCases.map { VersionedAction.v16($0) }.filter(\.initiatedByCentralSystem).map(\.name)
        case .v201: V201.Action.allCases.map { VersionedAction.v201($0) }.filter(\.initiatedByCentralSystem).map(\.name)
        }
    }

    private mutating func readWhen(_ node: Node, _ path: String) -> ScenarioSpec.When? {
        let hint = "must be 'boot', {every: <duration>} or {at: <duration>}"
        switch node {
        case .scalar(let scalar):
            if scalar.string == "boot" { return .boot }
            report(node, path, "\(hint), got \(Self.describe(node))")
            return nil
        case .mapping:
            guard let fields = fields(node, path, allowed: ["every", "at"]) else { return nil }
            guard fields.entries.count == 1 else {
                report(node, path, "\(hint): exactly one of 'every' and 'at'")
                return nil
            }
            if let value = fields.value("every") {
                return positiveDuration(value, fields.child("every")).map { .every($0) }
            }
            if let value = fields.value("at") {
                return duration(value, fields.child("at")).map { .at($0) }
            }
            report(node, path, "\(hint), got an empty value")
            return nil
        case .sequence, .alias:
            report(node, path, "\(hint), got \(Self.describe(node))")
            return nil
        }
    }

    /// A YAML value as JSON: plain scalars become null, booleans and numbers where they read as
    /// such, quoted ones stay strings. Placeholder strings are checked here.
    private mutating func jsonValue(_ node: Node, _ path: String) -> JSONValue? {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            if scalar.style == .plain || scalar.style == .any {
                if Self.isNull(node) { return .null }
                if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
                if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
                if let integer = Int64(text) { return .integer(integer) }
                if let number = Double(text), number.isFinite, text.contains(where: \.isNumber) { return .number(number) }
            }
            if (text.hasPrefix("{now") || text.hasPrefix("{open")), text.hasSuffix("}"),
               text != ScenarioSpec.openTransactionPlaceholder, ScenarioPlaceholders.nowOffset(text) == nil {
                report(node, path, "unknown placeholder '\(text)'; use {now}, {now+30s}, {now-1h} or {openTransaction}")
                return nil
            }
            return .string(text)
        case .sequence(let items):
            var values: [JSONValue] = []
            for (index, item) in items.enumerated() {
                guard let value = jsonValue(item, "\(path)[\(index)]") else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let mapping):
            var members: [(key: String, value: JSONValue)] = []
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let key) = keyNode else {
                    report(keyNode, path, "keys must be plain names, got \(Self.describe(keyNode))")
                    return nil
                }
                guard let value = jsonValue(valueNode, "\(path).\(key.string)") else { return nil }
                members.append((key: key.string, value: value))
            }
            return .object(members)
        case .alias:
            report(node, path, "aliases are not supported; repeat the value instead")
            return nil
        }
    }

    /// The payload as it could be sent: `{now…}` an RFC 3339 string, `{openTransaction}` a
    /// transaction id of `version` (1.6: the integer 1, 2.0.1: the string "1").
    static func fillPlaceholders(_ value: JSONValue, version: OCPPVersion = .v16) -> JSONValue {
        let transaction: JSONValue = switch version {
        case .v16: .integer(1)
        case .v201: .string("1")
        }
        return ScenarioPlaceholders.fill(value, now: Timestamp(microseconds: 1_767_225_600_000_000),
                                         openTransaction: transaction)
    }
}

extension ScenarioSpec {
    static let openTransactionPlaceholder = ScenarioPlaceholders.openTransaction
}
