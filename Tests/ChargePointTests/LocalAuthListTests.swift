@testable import ChargePoint
import OCPP
import Testing

extension ScriptedCSMS {
    /// SendLocalList.req with `entries` (idTag, idTagInfo; nil info removes in a differential update).
    mutating func sendLocalList(_ version: Int, _ type: V16.UpdateType, _ entries: [(String, V16.IdTagInfo?)],
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> V16.UpdateStatus {
        let list = entries.map { V16.AuthorizationData(idTag: $0.0, idTagInfo: $0.1) }
        return try call(V16.SendLocalListRequest(listVersion: version, localAuthorizationList: list, updateType: type),
                        sourceLocation: sourceLocation).status
    }

    mutating func localListVersion() throws -> Int {
        try call(V16.GetLocalListVersionRequest()).listVersion
    }

    /// Plugs in and presents `idTag` (offline, in the tests that use it), expects a
    /// transaction to start or not, then stops it and unplugs.
    mutating func checkOffline(_ idTag: String, starts: Bool, on connector: Int = 1,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let before = engine.openTransactions
        plugIn(connector)
        present(idTag, on: connector)
        let started = engine.openTransactions > before
        #expect(started == starts, "\(idTag) \(started ? "started" : "did not start")", sourceLocation: sourceLocation)
        if started { present(idTag, on: connector) }
        unplug(connector)
    }
}

let acceptedInfo = V16.IdTagInfo(status: .accepted)

@Suite("Local Authorization List Management (OCPP 1.6 §3.5.2, §5.10, §5.15)")
struct LocalAuthListTests {
    @Test("GetLocalListVersion is 0 before any list, then the version of the last accepted update")
    func versions() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.localListVersion() == 0)
        #expect(try csms.sendLocalList(5, .full, [("A", acceptedInfo)]) == .accepted)
        #expect(try csms.localListVersion() == 5)
        #expect(try csms.sendLocalList(9, .differential, [("B", acceptedInfo)]) == .accepted)
        #expect(try csms.localListVersion() == 9)
        // A full update may set any version, lower ones included.
        #expect(try csms.sendLocalList(3, .full, []) == .accepted)
        #expect(try csms.localListVersion() == 3)
        #expect(csms.engine.localAuthList.list.count == 0)
    }

    @Test("A full update replaces the whole list")
    func fullReplaces() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(1, .full, [("A", acceptedInfo), ("B", acceptedInfo)]) == .accepted)
        #expect(try csms.sendLocalList(2, .full, [("C", acceptedInfo)]) == .accepted)
        csms.disconnect()
        csms.checkOffline("A", starts: false)
        csms.checkOffline("B", starts: false)
        csms.checkOffline("C", starts: true)
    }

    @Test("A differential update adds, replaces, and removes an entry that comes without idTagInfo")
    func differential() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(1, .full, [("KEEP", acceptedInfo), ("DROP", acceptedInfo),
                                                  ("BLOCK", acceptedInfo)]) == .accepted)
        #expect(try csms.sendLocalList(2, .differential, [("DROP", nil), ("BLOCK", V16.IdTagInfo(status: .blocked)),
                                                          ("NEW", acceptedInfo)]) == .accepted)
        let list = csms.engine.localAuthList.list
        #expect(list.count == 3)
        #expect(list.info("DROP") == nil)
        #expect(list.info("BLOCK")?.status == .blocked)
        #expect(list.info("KEEP")?.status == .accepted)
        csms.disconnect()
        csms.checkOffline("KEEP", starts: true)
        csms.checkOffline("NEW", starts: true)
        csms.checkOffline("BLOCK", starts: false)
        csms.checkOffline("DROP", starts: false)
    }

    @Test("A differential update whose version is not greater than the list's is VersionMismatch and changes nothing",
          arguments: [7, 6, 0])
    func versionMismatch(version: Int) throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(7, .full, [("A", acceptedInfo)]) == .accepted)
        #expect(try csms.sendLocalList(version, .differential, [("A", nil), ("B", acceptedInfo)]) == .versionMismatch)
        #expect(try csms.localListVersion() == 7)
        #expect(csms.engine.localAuthList.list.info("A")?.status == .accepted)
        #expect(csms.engine.localAuthList.list.info("B") == nil)
    }

    @Test("With LocalAuthListEnabled false the list is NotSupported, its version -1, and it is not used")
    func disabled() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(4, .full, [("LISTED", acceptedInfo)]) == .accepted)
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "LocalAuthListEnabled", value: "false")).status == .accepted)
        #expect(try csms.localListVersion() == -1)
        #expect(try csms.sendLocalList(5, .full, [("OTHER", acceptedInfo)]) == .notSupported)
        #expect(try csms.sendLocalList(5, .differential, [("OTHER", acceptedInfo)]) == .notSupported)
        csms.disconnect()
        csms.checkOffline("LISTED", starts: false)
        csms.connect()
        // Enabled again: the list as it was, with its version.
        #expect(try csms.call(V16.ChangeConfigurationRequest(key: "LocalAuthListEnabled", value: "true")).status == .accepted)
        #expect(try csms.localListVersion() == 4)
        csms.disconnect()
        csms.checkOffline("LISTED", starts: true)
    }

    @Test("An update the charge point cannot apply Fails and leaves the list as it was", arguments: [
        "more than SendLocalListMaxLength entries", "duplicate idTags", "duplicate idTags in another case",
        "full entry without idTagInfo", "negative version",
    ])
    func failed(case name: String) throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(1, .full, [("OLD", acceptedInfo)]) == .accepted)
        let status: V16.UpdateStatus
        switch name {
        case "more than SendLocalListMaxLength entries":
            status = try csms.sendLocalList(2, .full, (0...Configuration.sendLocalListMaxLength).map { ("T\($0)", Optional(acceptedInfo)) })
        case "duplicate idTags":
            status = try csms.sendLocalList(2, .differential, [("DUP", acceptedInfo), ("X", nil), ("DUP", nil)])
        case "duplicate idTags in another case":
            status = try csms.sendLocalList(2, .full, [("abc", acceptedInfo), ("ABC", acceptedInfo)])
        case "full entry without idTagInfo":
            status = try csms.sendLocalList(2, .full, [("NEW", acceptedInfo), ("BARE", nil)])
        case "negative version":
            status = try csms.sendLocalList(-1, .full, [("NEW", acceptedInfo)])
        default:
            Issue.record("unknown case \(name)")
            return
        }
        #expect(status == .failed)
        #expect(try csms.localListVersion() == 1)
        #expect(csms.engine.localAuthList.list.count == 1)
        #expect(csms.engine.localAuthList.list.info("OLD") == acceptedInfo)
    }

    @Test("A list may grow to LocalAuthListMaxLength entries and no further")
    func overflow() throws {
        var csms = ScriptedCSMS.booted()
        let batch = Configuration.sendLocalListMaxLength
        let batches = Configuration.localAuthListMaxLength / batch
        #expect(batches * batch == Configuration.localAuthListMaxLength)
        for round in 1...batches {
            let entries = (0..<batch).map { ("TAG-\(round)-\($0)", Optional(acceptedInfo)) }
            #expect(try csms.sendLocalList(round, .differential, entries) == .accepted)
        }
        #expect(csms.engine.localAuthList.list.count == Configuration.localAuthListMaxLength)
        #expect(try csms.sendLocalList(batches + 1, .differential, [("ONE-TOO-MANY", acceptedInfo)]) == .failed)
        #expect(csms.engine.localAuthList.list.count == Configuration.localAuthListMaxLength)
        #expect(try csms.localListVersion() == batches)
        // Replacing and removing within the limit still works.
        #expect(try csms.sendLocalList(batches + 1, .differential, [("TAG-1-0", nil), ("ONE-MORE", acceptedInfo)]) == .accepted)
        #expect(csms.engine.localAuthList.list.info("ONE-MORE") == acceptedInfo)
    }

    @Test("An entry past its expiryDate is refused, before it still authorizes offline")
    func expiry() throws {
        var csms = ScriptedCSMS.booted()
        let expiry = csms.now + .seconds(3600)
        #expect(try csms.sendLocalList(1, .full, [("TEMP", V16.IdTagInfo(expiryDate: expiry, status: .accepted))]) == .accepted)
        csms.disconnect()
        csms.advance(by: .seconds(3599))
        csms.checkOffline("TEMP", starts: true)
        csms.advance(by: .seconds(1))
        csms.checkOffline("TEMP", starts: false)
    }

    @Test("The list and its version survive a Reset")
    func survivesReset() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(8, .full, [("KEPT", acceptedInfo)]) == .accepted)
        #expect(try csms.call(V16.ResetRequest(type: .hard)).status == .accepted)
        csms.advance(by: .seconds(5))
        #expect(csms.engine.isAccepted)
        #expect(try csms.localListVersion() == 8)
        csms.disconnect()
        csms.checkOffline("KEPT", starts: true)
    }

    @Test("idTags are matched without regard to case (CiString20)")
    func caseInsensitive() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(1, .full, [("04a2b3c4", acceptedInfo), ("Blocked-Card", V16.IdTagInfo(status: .blocked))]) == .accepted)
        csms.disconnect()
        csms.checkOffline("04A2B3C4", starts: true)
        csms.checkOffline("BLOCKED-CARD", starts: false)
    }

    @Test("A malformed SendLocalList is answered with the CALLERROR its schema violation calls for")
    func malformed() throws {
        var csms = ScriptedCSMS.booted()
        let missing = csms.send("SendLocalList", .object([("listVersion", .integer(1))]))
        guard case .callError(_, let code, _, _)? = missing else {
            Issue.record("expected a CALLERROR, got \(String(describing: missing))")
            return
        }
        #expect(code == CallError.Code.occurenceConstraintViolation.rawValue)
        let badTag = csms.send("SendLocalList", V16.SendLocalListRequest(
            listVersion: 1, localAuthorizationList: [V16.AuthorizationData(idTag: String(repeating: "x", count: 21))],
            updateType: .differential).json)
        guard case .callError(_, let code, _, _)? = badTag else {
            Issue.record("expected a CALLERROR, got \(String(describing: badTag))")
            return
        }
        #expect(code == CallError.Code.typeConstraintViolation.rawValue)
        #expect(try csms.localListVersion() == 0)
    }

    @Test("The list is stored compactly: 32 bytes an entry, one string per distinct parentIdTag, exact capacity")
    func compact() throws {
        #expect(MemoryLayout<LocalAuthList.Entry>.stride == 32)
        let items = (0..<100).map {
            LocalAuthList.Item(idTag: "CARD-\($0)", info: V16.IdTagInfo(parentIdTag: "FLEET-\($0 % 3)", status: .accepted))
        }
        let list = try #require(LocalAuthList(items: items))
        #expect(list.count == 100)
        #expect(list.entries.capacity < 128)
        #expect(list.info("CARD-7")?.parentIdTag == "FLEET-1")
        #expect(list.entries.map(\.parent).max() == 3)
        #expect(list.entries.map(\.idTag) == items.map(\.idTag).sorted { IdToken.compare($0, $1) < 0 })
    }
}
