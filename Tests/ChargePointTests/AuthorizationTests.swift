@testable import ChargePoint
import OCPP
import Testing

@Suite("Authorization: cache, local list, offline rules, groups, invalid ids (OCPP 1.6 §3.5, §3.10, §4.1)")
struct AuthorizationTests {
    typealias Info = V16.IdTagInfo

    static func authorizeReply(_ status: V16.AuthorizationStatus, parent: String? = nil,
                               expiry: Timestamp? = nil) -> ScriptedCSMS.Reply {
        .conf(V16.AuthorizeResponse(idTagInfo: Info(expiryDate: expiry, parentIdTag: parent, status: status)))
    }

    // MARK: local pre-authorization

    @Test("LocalPreAuthorize: a card Accepted in the local list starts at once, one listed as Blocked is refused, both without Authorize")
    func preAuthorizeFromList() throws {
        var csms = ScriptedCSMS.booted(configuration: [("LocalPreAuthorize", "true")])
        #expect(try csms.sendLocalList(1, .full, [("GOOD", acceptedInfo), ("BAD", Info(status: .blocked))]) == .accepted)
        csms.plugIn(1)
        csms.present("GOOD", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.plugIn(2)
        csms.present("BAD", on: 2)
        #expect(!csms.engine.hasTransaction(connector: 2))
        #expect(csms.events.contains(.authorizationFailed(connector: 2)))
        #expect(csms.calls(.authorize).isEmpty)
        #expect(try csms.decoded(V16.StartTransactionRequest.self).map(\.idTag) == ["GOOD"])
    }

    @Test("Without LocalPreAuthorize a listed card is still authorized online with Authorize.req")
    func onlineAuthorizeDespiteList() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(1, .full, [("GOOD", acceptedInfo)]) == .accepted)
        csms.plugIn(1)
        csms.present("GOOD", on: 1)
        #expect(try csms.decoded(V16.AuthorizeRequest.self).map(\.idTag) == ["GOOD"])
        #expect(csms.engine.hasTransaction(connector: 1))
    }

    @Test("A card the cache holds as NOT valid is asked about online again, even with LocalPreAuthorize")
    func notValidCacheEntryAskedAgain() throws {
        var csms = ScriptedCSMS.booted(configuration: [("LocalPreAuthorize", "true")])
        csms.tags["CARD"] = .blocked
        csms.plugIn(1)
        csms.present("CARD", on: 1)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now)?.status == .blocked)
        csms.tags["CARD"] = .accepted
        csms.present("CARD", on: 1)
        #expect(csms.calls(.authorize).count == 2)
        #expect(csms.engine.hasTransaction(connector: 1))
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now)?.status == .accepted)
    }

    // MARK: offline

    @Test("Offline with LocalAuthorizeOffline false, even a cached or listed card is refused")
    func localAuthorizeOfflineOff() throws {
        var csms = ScriptedCSMS.booted(configuration: [("LocalAuthorizeOffline", "false"),
                                                      ("AllowOfflineTxForUnknownId", "true")])
        #expect(try csms.sendLocalList(1, .full, [("LISTED", acceptedInfo)]) == .accepted)
        csms.plugIn(1)
        csms.present("CACHED", on: 1)
        csms.present("CACHED", on: 1)
        csms.unplug(1)
        #expect(csms.engine.authorizationCache.lookup("CACHED", now: csms.now)?.status == .accepted)
        csms.disconnect()
        csms.checkOffline("CACHED", starts: false)
        csms.checkOffline("LISTED", starts: false)
        // Unknown cards still start (AllowOfflineTxForUnknownId).
        csms.checkOffline("STRANGER", starts: true)
    }

    @Test("Offline, AllowOfflineTxForUnknownId lets unknown cards start but never one the list or cache knows as not valid")
    func unknownOffline() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AllowOfflineTxForUnknownId", "true")])
        #expect(try csms.sendLocalList(1, .full, [("INVALID", Info(status: .invalid)),
                                                  ("EXPIRED", Info(status: .expired))]) == .accepted)
        csms.tags["BLOCKED"] = .blocked
        csms.plugIn(1)
        csms.present("BLOCKED", on: 1)
        csms.unplug(1)
        csms.disconnect()
        csms.checkOffline("UNKNOWN", starts: true)
        csms.checkOffline("INVALID", starts: false)
        csms.checkOffline("EXPIRED", starts: false)
        csms.checkOffline("BLOCKED", starts: false)
    }

    @Test("Offline without AllowOfflineTxForUnknownId an unknown card is refused")
    func unknownOfflineRefused() throws {
        var csms = ScriptedCSMS.booted()
        csms.disconnect()
        csms.checkOffline("UNKNOWN", starts: false)
        #expect(csms.events.contains(.authorizationFailed(connector: 1)))
    }

    // MARK: the cache

    @Test("A cache entry past its expiryDate reads Expired and no longer authorizes offline")
    func cacheEntryExpires() throws {
        var csms = ScriptedCSMS.booted(configuration: [("ConnectionTimeOut", "30")])
        let expiry = csms.now + .seconds(3600)
        csms.script["Authorize"] = [Self.authorizeReply(.accepted, expiry: expiry)]
        csms.present("CARD", on: 1)  // no cable: authorized, then ConnectionTimeOut
        csms.advance(by: .seconds(30))
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now)
                == AuthorizationCache.Entry(idTag: "CARD", expiry: expiry, status: .accepted))
        csms.disconnect()
        csms.advance(to: expiry + .seconds(-1))
        csms.checkOffline("CARD", starts: true)
        csms.advance(to: expiry)
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now)?.status == .expired)
        csms.checkOffline("CARD", starts: false)
    }

    @Test("StartTransaction.conf and StopTransaction.conf update the cache like Authorize.conf")
    func cacheFromTransactionAnswers() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["StartTransaction"] = [.conf(V16.StartTransactionResponse(
            idTagInfo: Info(parentIdTag: "GROUP", status: .concurrentTx), transactionId: 5))]
        csms.plugIn(1)
        csms.present("CARD", on: 1)
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now)
                == AuthorizationCache.Entry(idTag: "CARD", parentIdTag: "GROUP", status: .concurrentTx))
        csms.unplug(1)
        csms.plugIn(1)
        csms.present("OTHER", on: 1)
        csms.script["StopTransaction"] = [.conf(V16.StopTransactionResponse(idTagInfo: Info(status: .invalid)))]
        csms.present("OTHER", on: 1)
        #expect(csms.engine.authorizationCache.lookup("OTHER", now: csms.now)?.status == .invalid)
    }

    @Test("With AuthorizationCacheEnabled false nothing is cached and ClearCache is Rejected")
    func cacheDisabled() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AuthorizationCacheEnabled", "false")])
        csms.plugIn(1)
        csms.present("CARD", on: 1)
        csms.present("CARD", on: 1)
        csms.unplug(1)
        #expect(csms.engine.authorizationCache.count == 0)
        #expect(try csms.call(V16.ClearCacheRequest()).status == .rejected)
        csms.disconnect()
        csms.checkOffline("CARD", starts: false)
    }

    @Test("A full cache evicts NOT-valid entries first (expired ones included), then the oldest valid ones")
    func cacheEviction() {
        let now = ScriptedCSMS.start
        var cache = AuthorizationCache()
        for tag in ["V0", "V1", "V2"] { cache.update(tag, Info(status: .accepted), now: now, capacity: 4) }
        cache.update("SOON", Info(expiryDate: now + .seconds(10), status: .accepted), now: now, capacity: 4)
        cache.update("V0", Info(status: .accepted), now: now, capacity: 4)  // refreshed: now the newest
        #expect(cache.entries.map(\.idTag) == ["V1", "V2", "SOON", "V0"])
        cache.update("X", Info(status: .blocked), now: now, capacity: 4)
        #expect(cache.entries.map(\.idTag) == ["V2", "SOON", "V0", "X"])
        // Later SOON has expired: it goes with X before any valid entry.
        cache.update("Y", Info(status: .accepted), now: now + .seconds(10), capacity: 4)
        #expect(cache.entries.map(\.idTag) == ["V2", "V0", "Y"])
        cache.update("v2", Info(status: .invalid), now: now, capacity: 4)
        #expect(cache.entries.map(\.idTag) == ["V0", "Y", "v2"])
        #expect(cache.lookup("V2", now: now)?.status == .invalid)
    }

    @Test("The engine's cache stays within its capacity however many cards it sees")
    func cacheBounded() {
        var csms = ScriptedCSMS.booted(configuration: [("ConnectionTimeOut", "1")])
        for card in 0..<(ChargePointV16.authorizationCacheCapacity + 5) {
            csms.tags["C\(card)"] = card.isMultiple(of: 3) ? .blocked : .accepted
            csms.present("C\(card)", on: 1)
            csms.advance(by: .seconds(1))
        }
        let cache = csms.engine.authorizationCache
        #expect(cache.count <= ChargePointV16.authorizationCacheCapacity)
        // Full at card 16: the NOT-valid entries went, the oldest valid one stayed.
        #expect(cache.lookup("C0", now: csms.now) == nil)
        #expect(cache.lookup("C1", now: csms.now)?.status == .accepted)
        #expect(cache.lookup("C18", now: csms.now)?.status == .blocked)
        #expect(cache.lookup("C20", now: csms.now)?.status == .accepted)
    }

    // MARK: local list and cache together

    @Test("The local list has priority over the cache, and a listed card is not cached")
    func listBeforeCache() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(1, .full, [("CARD", Info(status: .blocked))]) == .accepted)
        // Disabled, the list is ignored: the CSMS accepts the card and the cache learns it.
        _ = try csms.call(V16.ChangeConfigurationRequest(key: "LocalAuthListEnabled", value: "false"))
        csms.plugIn(1)
        csms.present("CARD", on: 1)
        csms.present("CARD", on: 1)
        csms.unplug(1)
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now)?.status == .accepted)
        _ = try csms.call(V16.ChangeConfigurationRequest(key: "LocalAuthListEnabled", value: "true"))
        csms.disconnect()
        csms.checkOffline("CARD", starts: false)
        csms.connect()
        // A card sent in the list leaves the cache; answers about it do not bring it back.
        #expect(try csms.sendLocalList(2, .differential, [("CARD", acceptedInfo)]) == .accepted)
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now) == nil)
        csms.plugIn(1)
        csms.present("CARD", on: 1)
        #expect(csms.calls(.authorize).count == 2)
        #expect(csms.engine.authorizationCache.lookup("CARD", now: csms.now) == nil)
    }

    @Test("An answer that contradicts the local list is reported as LocalListConflict on connector 0")
    func localListConflict() throws {
        var csms = ScriptedCSMS.booted(configuration: [("LocalPreAuthorize", "true")])
        #expect(try csms.sendLocalList(1, .full, [("CARD", acceptedInfo)]) == .accepted)
        csms.tags["CARD"] = .blocked
        csms.plugIn(1)
        csms.present("CARD", on: 1)
        let conflicts = try csms.decoded(V16.StatusNotificationRequest.self).filter { $0.errorCode == .localListConflict }
        #expect(conflicts.map(\.connectorId) == [0])
        #expect(conflicts.first?.status == .available)
        // StopTransactionOnInvalidId (default true): the CSMS's word ends the transaction.
        #expect(try csms.decoded(V16.StopTransactionRequest.self).map(\.reason) == [.deAuthorized])
    }

    // MARK: invalid after the start

    @Test("An offline start whose idTag the CSMS finds invalid is stopped with reason DeAuthorized")
    func offlineStartDeAuthorized() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AllowOfflineTxForUnknownId", "true")])
        csms.tags["STRANGER"] = .invalid
        csms.disconnect()
        csms.plugIn(1)
        csms.present("STRANGER", on: 1)
        #expect(csms.engine.status(ofConnector: 1) == .charging)
        csms.advance(by: .seconds(120))
        csms.connect()
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.reason == .deAuthorized)
        #expect(stop.idTag == nil)
        #expect(csms.events.contains(.sessionEndedByCSMS(connector: 1)))
        #expect(csms.engine.status(ofConnector: 1) == .finishing)
    }

    @Test("Found invalid after an offline start with StopTransactionOnInvalidId false, charging goes on until MaxEnergyOnInvalidId Wh, then stops")
    func maxEnergyOnInvalidId() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AllowOfflineTxForUnknownId", "true"),
                                                      ("StopTransactionOnInvalidId", "false"),
                                                      ("MaxEnergyOnInvalidId", "2000")], heartbeat: 86_400)
        csms.tags["STRANGER"] = .invalid
        csms.disconnect()
        csms.plugIn(1, ev: EVProfile(maxPowerW: 11_000))
        let start = csms.now
        csms.present("STRANGER", on: 1)
        csms.advance(by: .seconds(60))
        csms.connect()
        #expect(csms.engine.status(ofConnector: 1) == .charging)
        #expect(csms.engine.meterWh(connector: 1) < 2000)
        csms.advance(by: .seconds(3600))
        // 2000 Wh at 11 kW take 654.5 s.
        let suspended = try #require(try csms.decoded(V16.StatusNotificationRequest.self).last)
        #expect(suspended.status == .suspendedEVSE)
        let at = try #require(suspended.timestamp)
        #expect(at >= start + .seconds(654) && at <= start + .seconds(655))
        #expect(csms.engine.meterWh(connector: 1) == 2000)
        #expect(csms.calls(.stopTransaction).isEmpty)
        #expect(csms.engine.hasTransaction(connector: 1))
    }

    @Test("Found invalid when more than MaxEnergyOnInvalidId Wh are already delivered, charging stops at once")
    func maxEnergyAlreadyUsed() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AllowOfflineTxForUnknownId", "true"),
                                                      ("StopTransactionOnInvalidId", "false"),
                                                      ("MaxEnergyOnInvalidId", "1000")])
        csms.tags["STRANGER"] = .invalid
        csms.disconnect()
        csms.plugIn(1, ev: EVProfile(maxPowerW: 11_000))
        csms.present("STRANGER", on: 1)
        csms.advance(by: .seconds(600))
        csms.connect()
        #expect(csms.engine.status(ofConnector: 1) == .suspendedEVSE)
        let meter = csms.engine.meterWh(connector: 1)
        #expect(meter > 1000)
        csms.advance(by: .seconds(600))
        #expect(csms.engine.meterWh(connector: 1) == meter)
    }

    // MARK: stopping: the same card or its group (parentIdTag)

    @Test("The card that started a transaction stops it without Authorize, whatever the case of its letters")
    func sameCardStops() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("04a2b3", on: 1)
        csms.present("04A2B3", on: 1)
        #expect(csms.calls(.authorize).count == 1)
        #expect(try csms.decoded(V16.StopTransactionRequest.self).map(\.idTag) == ["04A2B3"])
    }

    @Test("A card of the same group known from the local list stops the transaction without Authorize")
    func groupStopFromList() throws {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.sendLocalList(1, .full, [("PARENT-CARD", Info(parentIdTag: "FAMILY", status: .accepted)),
                                                  ("CHILD-CARD", Info(parentIdTag: "FAMILY", status: .accepted)),
                                                  ("NEIGHBOUR", Info(parentIdTag: "OTHERS", status: .accepted))]) == .accepted)
        csms.plugIn(1)
        csms.present("PARENT-CARD", on: 1)
        csms.present("NEIGHBOUR", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.present("CHILD-CARD", on: 1)
        #expect(!csms.engine.hasTransaction(connector: 1))
        #expect(csms.calls(.authorize).count == 1)
        let stop = try #require(try csms.decoded(V16.StopTransactionRequest.self).first)
        #expect(stop.idTag == "CHILD-CARD")
        #expect(stop.reason == .local)
        #expect(!csms.events.contains(.authorizationFailed(connector: 1)))
    }

    @Test("A card not known locally is asked about with Authorize: the same parentIdTag stops the transaction, another does not")
    func groupStopAsked() throws {
        var csms = ScriptedCSMS.booted()
        csms.script["Authorize"] = [Self.authorizeReply(.accepted, parent: "FAMILY"),
                                    Self.authorizeReply(.accepted, parent: "OTHERS"),
                                    Self.authorizeReply(.blocked, parent: "FAMILY"),
                                    Self.authorizeReply(.accepted, parent: "FAMILY")]
        csms.plugIn(1)
        csms.present("MOTHER", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.present("STRANGER", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.present("BLOCKED-SON", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        csms.present("DAUGHTER", on: 1)
        #expect(!csms.engine.hasTransaction(connector: 1))
        #expect(try csms.decoded(V16.AuthorizeRequest.self).map(\.idTag) == ["MOTHER", "STRANGER", "BLOCKED-SON", "DAUGHTER"])
        #expect(try csms.decoded(V16.StopTransactionRequest.self).map(\.idTag) == ["DAUGHTER"])
        #expect(!csms.events.contains(.authorizationFailed(connector: 1)))
    }

    @Test("The group of a transaction may come from StartTransaction.conf")
    func groupFromStartConf() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AuthorizationCacheEnabled", "false")])
        csms.script["StartTransaction"] = [.conf(V16.StartTransactionResponse(
            idTagInfo: Info(parentIdTag: "FAMILY", status: .accepted), transactionId: 9))]
        csms.script["Authorize"] = [Self.authorizeReply(.accepted), Self.authorizeReply(.accepted, parent: "FAMILY")]
        csms.plugIn(1)
        csms.present("MOTHER", on: 1)
        csms.present("SON", on: 1)
        #expect(try csms.decoded(V16.StopTransactionRequest.self).map(\.idTag) == ["SON"])
    }

    @Test("Offline, a card of another group that is not known locally cannot stop a transaction")
    func groupStopOffline() throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        csms.present("MOTHER", on: 1)
        csms.disconnect()
        csms.present("SON", on: 1)
        #expect(csms.engine.hasTransaction(connector: 1))
        #expect(!csms.events.contains(.authorizationFailed(connector: 1)))
    }

    // MARK: remote start

    @Test("RemoteStartTransaction with AuthorizeRemoteTxRequests uses the local list like a card (LocalPreAuthorize)")
    func remoteStartFromList() throws {
        var csms = ScriptedCSMS.booted(configuration: [("AuthorizeRemoteTxRequests", "true"), ("LocalPreAuthorize", "true")])
        #expect(try csms.sendLocalList(1, .full, [("APP", acceptedInfo)]) == .accepted)
        csms.plugIn(1)
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 1, idTag: "APP")).status == .accepted)
        #expect(csms.calls(.authorize).isEmpty)
        #expect(csms.engine.hasTransaction(connector: 1))
        #expect(try csms.call(V16.RemoteStartTransactionRequest(connectorId: 2, idTag: "OTHER")).status == .accepted)
        #expect(try csms.decoded(V16.AuthorizeRequest.self).map(\.idTag) == ["OTHER"])
    }
}
