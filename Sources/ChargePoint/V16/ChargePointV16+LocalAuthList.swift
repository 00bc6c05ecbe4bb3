import OCPP

/// The local authorization list (OCPP 1.6 §3.5.2), stored compactly for thousands of
/// charge points: one array sorted by idTag (binary search, no hash table), each entry 32
/// bytes with its parentIdTag as an index into a table of the distinct parents (a group
/// shares one string), built at its exact size on every update.
struct LocalAuthList: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var idTag: String
        var expiry: Timestamp?
        /// 0: no parent; otherwise an index + 1 into `parents`.
        var parent: UInt16
        var status: V16.AuthorizationStatus
    }

    /// One entry as the CSMS sent it.
    struct Item: Sendable, Equatable {
        var idTag: String
        var info: V16.IdTagInfo
    }

    private(set) var entries: [Entry] = []
    private var parents: [String] = []

    var count: Int { entries.count }

    init() {}

    /// A list from `items` sorted by `IdToken.compare`; nil when an idTag appears twice.
    private init?(sorted items: [Item]) {
        var distinct: [String] = []
        for item in items {
            if let parent = item.info.parentIdTag, !distinct.contains(parent) { distinct.append(parent) }
        }
        parents.reserveCapacity(distinct.count)
        parents.append(contentsOf: distinct)
        entries.reserveCapacity(items.count)
        for (position, item) in items.enumerated() {
            if position > 0, IdToken.compare(items[position - 1].idTag, item.idTag) == 0 { return nil }
            let parent = item.info.parentIdTag.flatMap { distinct.firstIndex(of: $0) }.map { UInt16($0 + 1) } ?? 0
            entries.append(Entry(idTag: item.idTag, expiry: item.info.expiryDate, parent: parent, status: item.info.status))
        }
    }

    /// A full list (SendLocalList Full); nil when an idTag appears twice.
    init?(items: [Item]) {
        self.init(sorted: items.sorted { IdToken.compare($0.idTag, $1.idTag) < 0 })
    }

    private func position(of idTag: String) -> (found: Bool, index: Int) {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let order = IdToken.compare(entries[mid].idTag, idTag)
            if order == 0 { return (true, mid) }
            if order < 0 { low = mid + 1 } else { high = mid }
        }
        return (false, low)
    }

    func contains(_ idTag: String) -> Bool { position(of: idTag).found }

    /// The entry for `idTag` as IdTagInfo.
    func info(_ idTag: String) -> V16.IdTagInfo? {
        let (found, index) = position(of: idTag)
        guard found else { return nil }
        return info(at: index)
    }

    private func info(at index: Int) -> V16.IdTagInfo {
        let entry = entries[index]
        return V16.IdTagInfo(expiryDate: entry.expiry, parentIdTag: entry.parent == 0 ? nil : parents[Int(entry.parent) - 1],
                             status: entry.status)
    }

    /// This list with a differential update applied: an entry with idTagInfo is added or
    /// replaced, one without is removed (OCPP 1.6 §7.1); nil when an idTag appears twice.
    func applying(_ updates: [V16.AuthorizationData]) -> LocalAuthList? {
        let sortedUpdates = updates.sorted { IdToken.compare($0.idTag, $1.idTag) < 0 }
        for position in sortedUpdates.indices.dropFirst()
        where IdToken.compare(sortedUpdates[position - 1].idTag, sortedUpdates[position].idTag) == 0 {
            return nil
        }
        // Merge two sorted sequences.
        var merged: [Item] = []
        merged.reserveCapacity(entries.count + sortedUpdates.count)
        var old = 0, new = 0
        while old < entries.count || new < sortedUpdates.count {
            let order = old == entries.count ? 1 : new == sortedUpdates.count ? -1
                : IdToken.compare(entries[old].idTag, sortedUpdates[new].idTag)
            if order < 0 {
                merged.append(Item(idTag: entries[old].idTag, info: info(at: old)))
                old += 1
            } else {
                if let info = sortedUpdates[new].idTagInfo { merged.append(Item(idTag: sortedUpdates[new].idTag, info: info)) }
                if order == 0 { old += 1 }
                new += 1
            }
        }
        return LocalAuthList(sorted: merged)
    }
}

/// State of the LocalAuthList feature profile of one charge point (OCPP 1.6 §5.10, §5.15).
struct LocalAuthListState: Sendable {
    /// The version the CSMS gave the list; 0 before the first update.
    var version = 0
    var list = LocalAuthList()
}

extension ChargePointV16 {
    mutating func localAuthListCall(_ action: V16.Action, payload: JSONValue, now: Timestamp,
                     into out: inout [EngineOutput]) throws(CallError) -> [UInt8] {
        switch action {
        case .getLocalListVersion:
            _ = try V16.GetLocalListVersionRequest(json: payload)
            // -1: no local list in use (OCPP 1.6 §5.10); while LocalAuthListEnabled is false the
            // list is neither used nor updated, so it is reported as not supported.
            return V16.GetLocalListVersionResponse(listVersion: configuration.localAuthListEnabled
                                                   ? localAuthList.version : -1).encoded
        case .sendLocalList:
            return V16.SendLocalListResponse(status: sendLocalList(try V16.SendLocalListRequest(json: payload))).encoded
        default:
            throw CallError(.notSupported, "\(action.rawValue) is not part of Local Auth List Management")
        }
    }

    /// SendLocalList.req (OCPP 1.6 §5.15): the list changes only when the whole update can be applied.
    private mutating func sendLocalList(_ request: V16.SendLocalListRequest) -> V16.UpdateStatus {
        guard configuration.localAuthListEnabled else { return .notSupported }
        let updates = request.localAuthorizationList ?? []
        guard request.listVersion >= 0, updates.count <= Configuration.sendLocalListMaxLength else { return .failed }
        let list: LocalAuthList?
        switch request.updateType {
        case .full:
            // idTagInfo is required in a full update (OCPP 1.6 §7.1).
            var items: [LocalAuthList.Item] = []
            items.reserveCapacity(updates.count)
            for update in updates {
                guard let info = update.idTagInfo else { return .failed }
                items.append(LocalAuthList.Item(idTag: update.idTag, info: info))
            }
            list = LocalAuthList(items: items)
        case .differential:
            guard request.listVersion > localAuthList.version else { return .versionMismatch }
            list = localAuthList.list.applying(updates)
        }
        guard let list, list.count <= Configuration.localAuthListMaxLength else { return .failed }
        localAuthList.list = list
        localAuthList.version = request.listVersion
        // Identifiers in the list are not kept in the cache as well (OCPP 1.6 §3.5.3).
        for update in updates where list.contains(update.idTag) { authorizationCache.remove(update.idTag) }
        return .accepted
    }

    /// The list's entry for `idTag` when the list is in use (LocalAuthListEnabled).
    func localListInfo(_ idTag: String) -> V16.IdTagInfo? {
        guard configuration.localAuthListEnabled, localAuthList.list.count > 0 else { return nil }
        return localAuthList.list.info(idTag)
    }
}
