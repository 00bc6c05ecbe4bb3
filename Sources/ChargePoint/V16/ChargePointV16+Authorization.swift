import OCPP

/// Authorization of idTags (OCPP 1.6 §3.5, §4.1, §3.10): the local authorization list
/// before the authorization cache, Authorize.req when neither decides, the offline rules
/// (LocalAuthorizeOffline, AllowOfflineTxForUnknownId), LocalPreAuthorize, reservations,
/// stopping by another card of the same group, and what follows an idTag the CSMS finds
/// invalid after the start (StopTransactionOnInvalidId, MaxEnergyOnInvalidId).
extension ChargePointV16 {
    /// Without an accepted registration the CSMS cannot be asked: the charge point is offline.
    var isOnline: Bool { isConnected && registration == .accepted }

    public mutating func presentIdTag(_ idTag: String, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        guard validConnector(connector), !stopping else { return }
        if connectors[connector].transaction != nil {
            presentToStop(idTag, connector: connector, now: now, into: &out)
            pump(now: now, into: &out)
            return
        }
        guard connectors[connector].authorizingTag == nil, connectors[connector].authorizedTag == nil,
              mayStartTransaction(connector) else {
            out.append(.event(.authorizationFailed(connector: connector)))
            return
        }
        beginAuthorization(connector, idTag: idTag, now: now, into: &out)
        pump(now: now, into: &out)
    }

    /// What the charge point knows about `idTag` without asking: the local list has
    /// priority over the cache (OCPP 1.6 §3.5.3); expiryDate is honoured.
    func knownIdTag(_ idTag: String, now: Timestamp) -> KnownIdTag? {
        if let info = localListInfo(idTag) {
            return KnownIdTag(status: info.status.asOf(now, expiry: info.expiryDate), parentIdTag: info.parentIdTag,
                              inLocalList: true)
        }
        if configuration.authorizationCacheEnabled, let entry = authorizationCache.lookup(idTag, now: now) {
            return KnownIdTag(status: entry.status, parentIdTag: entry.parentIdTag, inLocalList: false)
        }
        return nil
    }

    /// Decides a card presented to start (or a remote start with AuthorizeRemoteTxRequests):
    /// locally when the rules allow, otherwise with Authorize.req.
    mutating func beginAuthorization(_ connector: Int, idTag: String, now: Timestamp, into out: inout [EngineOutput]) {
        let known = knownIdTag(idTag, now: now)
        switch reservationGate(connector, idTag: idTag, parent: known?.parentIdTag, parentKnown: known != nil) {
        case .refused:
            authorizationRefused(connector, idTag: idTag, now: now, into: &out)
            return
        case .needsParent:
            // Only the CSMS can tell whether the card belongs to the reservation's group.
            guard isOnline else {
                authorizationRefused(connector, idTag: idTag, now: now, into: &out)
                return
            }
            askCSMS(connector, idTag: idTag, now: now, into: &out)
            return
        case .allowed:
            break
        }
        if isOnline {
            if configuration.localPreAuthorize, let known {
                if known.status == .accepted {
                    authorized(connector, idTag: idTag, parent: known.parentIdTag, parentKnown: true, now: now, into: &out)
                    return
                }
                // The list is the CSMS's own word on this card: no need to ask (a NOT-valid cache
                // entry is checked online again, OCPP 1.6 §3.5.1).
                if known.inLocalList {
                    authorizationRefused(connector, idTag: idTag, now: now, into: &out)
                    return
                }
            }
            askCSMS(connector, idTag: idTag, now: now, into: &out)
        } else if let known {
            // Offline: list and cache entries other than a valid Accepted are refused (OCPP 1.6 §3.5.4).
            if configuration.localAuthorizeOffline, known.status == .accepted {
                authorized(connector, idTag: idTag, parent: known.parentIdTag, parentKnown: true, now: now, into: &out)
            } else {
                authorizationRefused(connector, idTag: idTag, now: now, into: &out)
            }
        } else if configuration.allowOfflineTxForUnknownId {
            authorized(connector, idTag: idTag, now: now, into: &out)
        } else {
            authorizationRefused(connector, idTag: idTag, now: now, into: &out)
        }
    }

    private mutating func askCSMS(_ connector: Int, idTag: String, now: Timestamp, into out: inout [EngineOutput]) {
        connectors[connector].authorizingTag = idTag
        enqueue(.authorize(connector: connector, idTag: idTag), into: &out)
        refreshStatus(connector, now: now, into: &out)
    }

    /// A card presented where a transaction runs: the card that started it stops it without
    /// Authorize.req (OCPP 1.6 §4.1); another card only if it has the same parentIdTag
    /// (§3.10), known locally or asked with Authorize.req.
    private mutating func presentToStop(_ idTag: String, connector: Int, now: Timestamp, into out: inout [EngineOutput]) {
        guard let ref = connectors[connector].transaction,
              let index = transactions.firstIndex(where: { $0.ref == ref }) else { return }
        let record = transactions[index]
        if IdToken.equal(record.idTag, idTag) {
            stopTransaction(connector, reason: .local, idTag: idTag, now: now, into: &out)
            refreshStatus(connector, now: now, into: &out)
            return
        }
        if let known = knownIdTag(idTag, now: now), known.status.isValid, let group = record.parentIdTag {
            if known.parentIdTag.map({ IdToken.equal($0, group) }) == true {
                stopTransaction(connector, reason: .local, idTag: idTag, now: now, into: &out)
                refreshStatus(connector, now: now, into: &out)
            }
            return
        }
        guard isOnline else { return }
        transactions[index].stopCandidate = idTag
        enqueue(.authorize(connector: connector, idTag: idTag), into: &out)
    }

    mutating func authorizeAnswered(_ connector: Int, idTag: String, info: V16.IdTagInfo, now: Timestamp,
                                    into out: inout [EngineOutput]) {
        learn(idTag, info, now: now, into: &out)
        if let ref = connectors[connector].transaction, let index = transactions.firstIndex(where: { $0.ref == ref }) {
            guard transactions[index].stopCandidate == idTag else { return }
            transactions[index].stopCandidate = nil
            if info.status.isValid, let group = transactions[index].parentIdTag,
               info.parentIdTag.map({ IdToken.equal($0, group) }) == true {
                stopTransaction(connector, reason: .local, idTag: idTag, now: now, into: &out)
                refreshStatus(connector, now: now, into: &out)
            }
            return
        }
        guard connectors[connector].authorizingTag == idTag else { return }  // withdrawn meanwhile
        connectors[connector].authorizingTag = nil
        if info.status == .accepted, !stopping {
            authorized(connector, idTag: idTag, parent: info.parentIdTag, parentKnown: true, now: now, into: &out)
        } else {
            authorizationRefused(connector, idTag: idTag, now: now, into: &out)
        }
        refreshStatus(connector, now: now, into: &out)
    }

    /// The card is refused. A card presented to stop someone else's transaction is simply
    /// ignored: the driver of the running session does not give up.
    mutating func authorizationRefused(_ connector: Int, idTag: String, now: Timestamp, into out: inout [EngineOutput]) {
        if let ref = connectors[connector].transaction {
            if let index = transactions.firstIndex(where: { $0.ref == ref }), transactions[index].stopCandidate == idTag {
                transactions[index].stopCandidate = nil
            }
            return
        }
        if connectors[connector].authorizingTag == idTag { connectors[connector].authorizingTag = nil }
        out.append(.event(.authorizationFailed(connector: connector)))
        refreshStatus(connector, now: now, into: &out)
    }

    /// An IdTagInfo from Authorize.conf, StartTransaction.conf or StopTransaction.conf: it
    /// updates the cache unless the idTag is in the local list (OCPP 1.6 §4.1, §3.5.3); a
    /// list entry it contradicts is reported as LocalListConflict on connector 0 (§3.5.2).
    mutating func learn(_ idTag: String, _ info: V16.IdTagInfo, now: Timestamp, into out: inout [EngineOutput]) {
        if let listed = localListInfo(idTag) {
            if (listed.status.asOf(now, expiry: listed.expiryDate) == .accepted) != (info.status == .accepted) {
                enqueue(.statusNotification(connector: 0, status: connectors[0].status, errorCode: .localListConflict,
                                            timestamp: now), into: &out)
            }
        } else if configuration.authorizationCacheEnabled {
            authorizationCache.update(idTag, info, now: now, capacity: Self.authorizationCacheCapacity)
        }
    }

    /// The idTag may charge: start at once if the EV is plugged, else wait ConnectionTimeOut.
    /// A connector made unavailable (or a reset begun) meanwhile refuses it, and so does a
    /// reservation for another idTag. `parentKnown` says whether `parent` is the card's
    /// actual parentIdTag (from the CSMS or locally); otherwise it is looked up.
    mutating func authorized(_ connector: Int, idTag: String, parent: String? = nil, parentKnown: Bool = false,
                             now: Timestamp, into out: inout [EngineOutput]) {
        var gate = ReservationGate.allowed(nil)
        if mayStartTransaction(connector) {
            let known = parentKnown ? nil : knownIdTag(idTag, now: now)
            gate = reservationGate(connector, idTag: idTag, parent: parentKnown ? parent : known?.parentIdTag,
                                   parentKnown: parentKnown || known != nil)
        }
        guard mayStartTransaction(connector), case .allowed(let reservation) = gate else {
            connectors[connector].authorizedTag = nil
            connectors[connector].waitingSince = nil
            authorizationRefused(connector, idTag: idTag, now: now, into: &out)
            return
        }
        if let reservation { reservations.active[reservation].claimedBy = idTag }
        if connectors[connector].plugged {
            startTransaction(connector, idTag: idTag, now: now, into: &out)
        } else {
            connectors[connector].authorizedTag = idTag
            connectors[connector].waitingSince = now
        }
        refreshStatus(connector, now: now, into: &out)
    }

    /// RemoteStartTransaction.req on `connector`: refused when a reservation keeps it for
    /// another idTag; a question of parentIdTag is left to Authorize.req when
    /// AuthorizeRemoteTxRequests asks the CSMS anyway.
    func reservationAdmitsRemoteStart(_ connector: Int, idTag: String, now: Timestamp) -> Bool {
        let known = knownIdTag(idTag, now: now)
        switch reservationGate(connector, idTag: idTag, parent: known?.parentIdTag, parentKnown: known != nil) {
        case .allowed: return true
        case .needsParent: return configuration.authorizeRemoteTxRequests
        case .refused: return false
        }
    }

    // MARK: MaxEnergyOnInvalidId

    /// When a transaction whose idTag the CSMS found invalid reaches its energy allowance.
    var invalidIdWakeup: Timestamp? {
        var earliest: Timestamp?
        for record in transactions {
            guard let limit = record.energyLimitWh, connectors[record.connector].transaction == record.ref,
                  let due = connectors[record.connector].meter.time(toReach: limit) else { continue }
            if earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    /// Energy delivery stops once the allowance is used (OCPP 1.6 §3.5.4, §9.1 MaxEnergyOnInvalidId).
    mutating func invalidIdTick(now: Timestamp, into out: inout [EngineOutput]) {
        for index in transactions.indices {
            guard let limit = transactions[index].energyLimitWh else { continue }
            let connector = transactions[index].connector
            guard connectors[connector].transaction == transactions[index].ref else {
                transactions[index].energyLimitWh = nil
                continue
            }
            connectors[connector].meter.advance(to: now)
            guard connectors[connector].meter.registerWh >= limit else { continue }
            transactions[index].energyLimitWh = nil
            connectors[connector].suspendedByEVSE = true
            applyPower(connector, now: now)
            refreshStatus(connector, now: now, into: &out)
        }
    }

    /// StartTransaction.conf refused the idTag (OCPP 1.6 §3.5.4): stop with reason DeAuthorized
    /// when StopTransactionOnInvalidId, otherwise stop energy delivery, after MaxEnergyOnInvalidId
    /// Wh of the transaction when that is set.
    mutating func deauthorize(_ connector: Int, record index: Int, now: Timestamp, into out: inout [EngineOutput]) {
        if configuration.stopTransactionOnInvalidId {
            stopTransaction(connector, reason: .deAuthorized, idTag: nil, now: now, into: &out)
            out.append(.event(.sessionEndedByCSMS(connector: connector)))
            return
        }
        let limit = Int(transactions[index].startWh) + configuration.maxEnergyOnInvalidId
        connectors[connector].meter.advance(to: now)
        if configuration.maxEnergyOnInvalidId > 0, connectors[connector].meter.registerWh < limit {
            transactions[index].energyLimitWh = limit
        } else {
            connectors[connector].suspendedByEVSE = true
            applyPower(connector, now: now)
        }
    }
}
