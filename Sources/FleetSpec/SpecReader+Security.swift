import Foundation
import OCPP
import Yams

/// A value as read, with where it was written (for errors that point back into the file).
struct Located<Value> {
    var value: Value
    var node: Node
    var field: String
}

/// The security keys of one `csms` mapping (the fleet's, or a group's overrides), as read.
struct SecurityDraft {
    var profile: Located<SecurityProfile>?
    var password: Located<Secret>?
    var tlsNode: Located<Void>?
    var caFile: Located<String>?
    var clientCertificate: Located<String>?
    var clientKey: Located<String>?
    var verify: Located<Bool>?
    /// `ocppVersion`: not security, but a per-connection setting that a group overrides the same
    /// way (its own key wins over the top-level one).
    var ocppVersion: OCPPVersion?
    /// A key was written but its value was unusable (already reported): later checks that would
    /// complain about the key missing stay quiet.
    var profileWasInvalid = false
    var passwordWasInvalid = false

    /// These settings with `other`'s keys replacing ours, key by key (`tls` keys one by one too).
    func overridden(by other: SecurityDraft) -> SecurityDraft {
        var merged = self
        if other.profile != nil || other.profileWasInvalid {
            merged.profile = other.profile
            merged.profileWasInvalid = other.profileWasInvalid
        }
        if other.password != nil || other.passwordWasInvalid {
            merged.password = other.password
            merged.passwordWasInvalid = other.passwordWasInvalid
        }
        if other.tlsNode != nil { merged.tlsNode = other.tlsNode }
        if other.caFile != nil { merged.caFile = other.caFile }
        if other.clientCertificate != nil { merged.clientCertificate = other.clientCertificate }
        if other.clientKey != nil { merged.clientKey = other.clientKey }
        if other.verify != nil { merged.verify = other.verify }
        if other.ocppVersion != nil { merged.ocppVersion = other.ocppVersion }
        return merged
    }
}

/// The `csms` section as read.
struct CSMSDraft {
    var url: Located<String>?
    /// A `url` was written but is not usable (already reported): the fleet is still meant for an
    /// external CSMS, so nothing is judged as if it were for the embedded one.
    var urlWasInvalid = false
    var security = SecurityDraft()
    var sourceAddresses = SourceAddresses([])
}

extension SecurityDraft {
    /// The TLS settings named anywhere in this draft (files, or `verify`).
    var namesTLS: Bool { caFile != nil || clientCertificate != nil || clientKey != nil || verify != nil }
    /// The first TLS key written, to point an error at.
    var firstTLSKey: Located<Void>? {
        let candidates: [Located<Void>?] = [
            caFile.map { Located(value: (), node: $0.node, field: $0.field) },
            clientCertificate.map { Located(value: (), node: $0.node, field: $0.field) },
            clientKey.map { Located(value: (), node: $0.node, field: $0.field) },
            verify.map { Located(value: (), node: $0.node, field: $0.field) },
        ]
        return candidates.compactMap { $0 }.first ?? tlsNode
    }
}

extension SpecReader {
    static let csmsKeys = ["url", "securityProfile", "password", "tls", "ocppVersion", "sourceAddresses"]
    static let groupCSMSKeys = ["securityProfile", "password", "tls", "ocppVersion"]
    static let tlsKeys = ["caFile", "clientCertificate", "clientKey", "verify"]
    /// AuthorizationKey: the OCPP 1.6 Security Whitepaper asks for 16 to 20 bytes, which the
    /// configuration key carries hex-encoded in at most 40 characters; both forms fit here.
    static let passwordLength = 16...40

    // MARK: - Reading

    mutating func readCSMS(_ node: Node, _ path: String) -> CSMSDraft {
        var draft = CSMSDraft()
        guard let csms = fields(node, path, allowed: Self.csmsKeys) else { return draft }
        if let urlNode = csms.value("url") {
            if let url = readURL(urlNode, csms.child("url")) {
                draft.url = Located(value: url, node: urlNode, field: csms.child("url"))
            } else {
                draft.urlWasInvalid = true
            }
        }
        draft.security = readSecurity(csms)
        draft.security.ocppVersion = readOCPPVersion(csms)
        if let node = csms.value("sourceAddresses") { draft.sourceAddresses = readSourceAddresses(node, csms.child("sourceAddresses")) }
        return draft
    }

    /// `sourceAddresses`: a string (`127.0.0.2-127.0.0.254`, comma-separated items) or a list of
    /// such strings.
    private mutating func readSourceAddresses(_ node: Node, _ field: String) -> SourceAddresses {
        let items: [String]
        if case .sequence(let sequence) = node {
            items = sequence.enumerated().compactMap { string($0.element, "\(field)[\($0.offset)]") }
        } else {
            items = string(node, field).map { [$0] } ?? []
        }
        guard !items.isEmpty else { return SourceAddresses([]) }
        switch SourceAddresses.parse(items.joined(separator: ",")) {
        case .success(let addresses): return addresses
        case .failure(let invalid):
            report(node, field, invalid.description)
            return SourceAddresses([])
        }
    }

    /// `ocppVersion`: "1.6" (the default) or "2.0.1". Any other value is an error that says what is there.
    private mutating func readOCPPVersion(_ fields: Fields) -> OCPPVersion? {
        guard let node = fields.value("ocppVersion") else { return nil }
        let text = Self.text(of: node)
        if let version = OCPPVersion(rawValue: text) { return version }
        let expected = OCPPVersion.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        if text == "2.0" {
            report(node, fields.child("ocppVersion"), "OCPP 2.0 is not simulated; write \"2.0.1\" (expected \(expected))")
        } else {
            report(node, fields.child("ocppVersion"), "must be \(expected), got '\(text)'")
        }
        return nil
    }

    /// A group's `csms` mapping: security overrides only (the URL is fleet-wide).
    mutating func readGroupCSMS(_ node: Node, _ path: String) -> SecurityDraft {
        guard let csms = fields(node, path, allowed: Self.groupCSMSKeys + ["url"]) else { return SecurityDraft() }
        if let keyNode = csms.keyNode("url") {
            report(keyNode, csms.child("url"), "the CSMS URL is the same for the whole fleet; set it in the top-level csms section")
        }
        var draft = readSecurity(csms)
        draft.ocppVersion = readOCPPVersion(csms)
        return draft
    }

    private mutating func readURL(_ urlNode: Node, _ field: String) -> String? {
        guard let text = string(urlNode, field) else { return nil }
        let hint = "must be a URL like ws://127.0.0.1:9000/ocpp"
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            report(urlNode, field, "\(hint), got '\(text)'")
            return nil
        }
        guard ["ws", "wss"].contains(scheme.lowercased()) else {
            report(urlNode, field, "must use ws:// or wss://, got '\(scheme)://'")
            return nil
        }
        // Checked before anything that echoes the URL: it may hold a password.
        guard components.user == nil, components.password == nil else {
            report(urlNode, field, "must not hold credentials (user:password@); set csms.password instead")
            return nil
        }
        guard let host = components.host, !host.isEmpty else {
            report(urlNode, field, "has no host; \(hint)")
            return nil
        }
        guard components.query == nil, components.fragment == nil else {
            report(urlNode, field, "must not have a query or fragment: the charge point id is appended to the path")
            return nil
        }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    private mutating func readSecurity(_ csms: Fields) -> SecurityDraft {
        var draft = SecurityDraft()
        if let value = csms.value("securityProfile") {
            let field = csms.child("securityProfile")
            if let number = integer(value, field, in: 0...3), let profile = SecurityProfile(rawValue: number) {
                draft.profile = Located(value: profile, node: value, field: field)
            } else {
                draft.profileWasInvalid = true
            }
        }
        if let value = csms.value("password") {
            let field = csms.child("password")
            if let password = readPassword(value, field) {
                draft.password = Located(value: password, node: value, field: field)
            } else {
                draft.passwordWasInvalid = true
            }
        }
        if let value = csms.value("tls") {
            let path = csms.child("tls")
            draft.tlsNode = Located(value: (), node: value, field: path)
            if let tls = fields(value, path, allowed: Self.tlsKeys) {
                for (key, keyPath) in [("caFile", \SecurityDraft.caFile), ("clientCertificate", \.clientCertificate),
                                       ("clientKey", \.clientKey)] {
                    guard let node = tls.value(key), let text = text(node, tls.child(key), length: 1...4096) else { continue }
                    draft[keyPath: keyPath] = Located(value: text, node: node, field: tls.child(key))
                }
                if let node = tls.value("verify"), let verify = boolean(node, tls.child("verify")) {
                    draft.verify = Located(value: verify, node: node, field: tls.child("verify"))
                }
            }
        }
        return draft
    }

    /// The password with `${NAME}` replaced from the environment, checked against the
    /// whitepaper's AuthorizationKey rules. Error messages never quote it.
    private mutating func readPassword(_ node: Node, _ field: String) -> Secret? {
        guard case .scalar(let scalar) = node else {
            report(node, field, "must be a string, got \(Self.describe(node))")
            return nil
        }
        let expanded: String
        switch expandEnvironment(scalar.string) {
        case .failure(let problem):
            report(node, field, problem.message)
            return nil
        case .success(let text):
            expanded = text
        }
        let source = scalar.string.contains("${") ? " (after expanding environment variables)" : ""
        guard Self.passwordLength.contains(expanded.count) else {
            report(node, field, "must be \(Self.passwordLength.lowerBound) to \(Self.passwordLength.upperBound) characters "
                   + "(OCPP 1.6 Security Whitepaper, AuthorizationKey), got \(expanded.count)\(source)")
            return nil
        }
        guard expanded.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            report(node, field, "may only hold printable ASCII characters without spaces\(source)")
            return nil
        }
        return Secret(expanded)
    }

    /// Replaces every `${NAME}` (NAME: letters, digits, `_`, not starting with a digit) with the
    /// variable's value, and `${NAME:-fallback}` with the fallback when NAME is unset or empty;
    /// other `$` are kept.
    func expandEnvironment(_ text: String) -> Result<String, IDPattern.Problem> {
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.range(of: "${") {
            out += rest[..<dollar.lowerBound]
            guard let close = rest[dollar.upperBound...].firstIndex(of: "}") else {
                return .failure(IDPattern.Problem("has '${' without a closing '}'"))
            }
            let body = rest[dollar.upperBound..<close]
            // `${NAME:-fallback}`: the fallback when NAME is unset or empty, as in POSIX shells.
            let name = body.range(of: ":-").map { body[..<$0.lowerBound] } ?? body
            let fallback = body.range(of: ":-").map { body[$0.upperBound...] }
            guard let first = name.first, first == "_" || first.isASCIILetterOrDigit && !first.isASCIIDigit,
                  name.allSatisfy({ $0 == "_" || $0.isASCIILetterOrDigit })
            else {
                return .failure(IDPattern.Problem("'${\(name)}' is not an environment variable name (letters, digits and _)"))
            }
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                return .failure(IDPattern.Problem("environment variable \(name) is not set"))
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return .success(out)
    }

    mutating func boolean(_ node: Node, _ path: String) -> Bool? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "must be true or false, got \(Self.describe(node))")
            return nil
        }
        if Self.trueWords.contains(scalar.string) { return true }
        if Self.falseWords.contains(scalar.string) { return false }
        report(node, path, "must be true or false, got '\(scalar.string)'")
        return nil
    }

    // MARK: - Resolving

    /// A group's effective security (the fleet's `csms` keys, then the group's own), checked
    /// against the URL and the whitepaper's rules. `firstChargePoint` (id and index) is used to
    /// check that per-charge-point files exist.
    mutating func resolveSecurity(_ draft: SecurityDraft, url: Located<String>?, urlWasInvalid: Bool,
                                  scope: Node, scopeField: String,
                                  firstChargePoint: (id: String, index: Int)?) -> ConnectionSecurity? {
        let scheme = url.map { $0.value.prefix(while: { $0 != ":" }).lowercased() }
        let defaultProfile: SecurityProfile = scheme == "wss" ? .tlsWithBasicAuth : .unsecured
        let profile = draft.profile?.value ?? defaultProfile
        // Where a complaint about the profile itself points: the key, else what chose the default.
        let profileNode = draft.profile?.node ?? url?.node ?? scope
        let profileField = draft.profile?.field ?? url?.field ?? scopeField
        let before = errors.count
        if draft.profileWasInvalid { return nil }

        if let url, let scheme {
            if profile.usesTLS, scheme == "ws" {
                report(profileNode, profileField,
                       "security profile \(profile.rawValue) runs over TLS: the URL must be wss://, got \(url.value.prefix(while: { $0 != ":" }))://")
            } else if !profile.usesTLS, scheme == "wss" {
                report(profileNode, profileField,
                       "security profile \(profile.rawValue) is without TLS (ws://); a wss:// URL needs security profile 2 (TLS with a password) or 3 (TLS with a client certificate)")
            }
        }
        if profile.usesPassword, draft.password == nil, !draft.passwordWasInvalid {
            report(profileNode, profileField,
                   "security profile \(profile.rawValue) authenticates with HTTP Basic: set csms.password")
        }
        var password = draft.password
        if !profile.usesPassword, let given = password,
           given.field.hasPrefix("csms."), draft.profile?.field.hasPrefix("groups[") == true {
            // The fleet's password, for its profile-1/2 groups; this group chose a profile without one.
            password = nil
        }
        if !profile.usesPassword, let password {
            report(password.node, password.field, profile == .tlsWithClientCertificate
                   ? "security profile 3 authenticates with the client certificate, without a password; remove password"
                   : "a password is sent with security profiles 1 and 2 only; set securityProfile: 1 (ws://) or 2 (wss://)")
        }
        if !profile.usesTLS, draft.namesTLS || draft.tlsNode != nil, let key = draft.firstTLSKey {
            report(key.node, key.field, "TLS settings apply to security profiles 2 and 3 (wss://) only")
        }
        let embedded = url == nil && !urlWasInvalid
        if embedded {
            for file in [draft.caFile, draft.clientCertificate, draft.clientKey].compactMap({ $0 }) {
                report(file.node, file.field, "the embedded CSMS (no csms.url) runs with a certificate authority the run "
                       + "makes for itself; name files only together with csms.url")
            }
        } else if profile.usesTLS {
            checkClientCertificate(draft, profile: profile, profileNode: profileNode, profileField: profileField,
                                   firstChargePoint: firstChargePoint)
        }
        guard errors.count == before else { return nil }
        var tls = TLSSettings(verify: draft.verify?.value ?? true)
        if !embedded {
            tls.caFile = draft.caFile.map { resolvePath($0.value) }
            if profile.usesClientCertificate {
                tls.clientCertificate = draft.clientCertificate.map { resolvePath($0.value) }
                tls.clientKey = draft.clientKey.map { resolvePath($0.value) }
            }
        }
        return ConnectionSecurity(profile: profile, password: password?.value, tls: tls)
    }

    private mutating func checkClientCertificate(_ draft: SecurityDraft, profile: SecurityProfile, profileNode: Node,
                                                 profileField: String, firstChargePoint: (id: String, index: Int)?) {
        if let ca = draft.caFile {
            if isPerChargePointPath(ca.value) || PathPattern.parse(ca.value).isFailure {
                report(ca.node, ca.field, "is one file for the whole fleet: no placeholders")
            } else if !fileExists(resolvePath(ca.value)) {
                report(ca.node, ca.field, "no such file: \(resolvePath(ca.value))")
            }
        }
        let pair = [draft.clientCertificate, draft.clientKey]
        guard profile.usesClientCertificate else {
            for file in pair.compactMap({ $0 }) {
                report(file.node, file.field, "a client certificate is presented with security profile 3 only")
            }
            return
        }
        if draft.clientCertificate == nil || draft.clientKey == nil {
            let missing = draft.clientCertificate == nil ? "tls.clientCertificate" : "tls.clientKey"
            report(profileNode, profileField,
                   "security profile 3 needs a client certificate and its key: set \(missing) (a path; {id} names a file per charge point)")
        }
        for file in pair.compactMap({ $0 }) {
            switch PathPattern.parse(file.value) {
            case .failure(let problem):
                report(file.node, file.field, problem.message)
            case .success(let pieces):
                guard let first = firstChargePoint else { continue }
                let path = resolvePath(PathPattern.format(pieces, id: first.id, index: first.index))
                if !fileExists(path) {
                    let whose = isPerChargePointPath(file.value) ? " (for charge point \(first.id))" : ""
                    report(file.node, file.field, "no such file\(whose): \(path)")
                }
            }
        }
    }

    /// `path` made absolute against the spec file's directory (`~` expanded).
    func resolvePath(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        return ((baseDirectory as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
    }

    /// The embedded CSMS is one server: every group must agree on TLS, and those that send a
    /// password must send the same one.
    mutating func checkEmbeddedAgreement(_ groups: [GroupDraft]) {
        defer { checkOnePassword(groups) }
        guard let tlsGroup = groups.first(where: { $0.spec.security.profile.usesTLS }) else { return }
        for group in groups where !group.spec.security.profile.usesTLS {
            let node = group.securityDraft?.profile?.node ?? group.node
            report(node, "\(group.path).csms.securityProfile",
                   "the embedded CSMS serves one URL: \(tlsGroup.path) uses TLS (security profile "
                   + "\(tlsGroup.spec.security.profile.rawValue)), so every group needs profile 2 or 3")
        }
    }

    mutating func checkOnePassword(_ groups: [GroupDraft]) {
        var first: GroupDraft?
        for group in groups {
            guard let password = group.spec.security.password else { continue }
            guard let earlier = first, let earlierPassword = earlier.spec.security.password else {
                first = group
                continue
            }
            if earlierPassword != password {
                let node = group.securityDraft?.password?.node ?? group.node
                report(node, "\(group.path).csms.password",
                       "the embedded CSMS checks one password, and \(earlier.path) uses another; use the same password or csms.url")
            }
        }
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
