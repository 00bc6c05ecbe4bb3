import OCPP

/// IdToken is a CiString20 (OCPP 1.6 §7.15): two idTags are the same identifier when they
/// differ only in the case of ASCII letters.
enum IdToken {
    static func equal(_ a: String, _ b: String) -> Bool {
        a == b || compare(a, b) == 0
    }

    /// A total order consistent with `equal`, for the sorted local authorization list.
    static func compare(_ a: String, _ b: String) -> Int {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (x?, y?):
                let fx = fold(x), fy = fold(y)
                if fx != fy { return fx < fy ? -1 : 1 }
            }
        }
    }

    private static func fold(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}

extension V16.AuthorizationStatus {
    /// Valid in the sense of OCPP 1.6 §3.5.2: Accepted or ConcurrentTx (the holder may
    /// charge, maybe just not twice at once).
    var isValid: Bool {
        switch self {
        case .accepted, .concurrentTx: true
        case .blocked, .expired, .invalid: false
        }
    }

    /// The status as of `now`: a valid status past its expiryDate reads Expired (OCPP 1.6 §3.5.1).
    func asOf(_ now: Timestamp, expiry: Timestamp?) -> V16.AuthorizationStatus {
        if isValid, let expiry, expiry <= now { return .expired }
        return self
    }
}

/// What the charge point knows locally about an idTag, from the local authorization list
/// (first, OCPP 1.6 §3.5.3) or the authorization cache; `status` already honours expiryDate.
struct KnownIdTag: Sendable, Equatable {
    var status: V16.AuthorizationStatus
    var parentIdTag: String?
    var inLocalList: Bool
}

/// The authorization cache (OCPP 1.6 §3.5.1): the latest IdTagInfo received for each
/// idTag the CSMS answered for (valid or not), bounded; when full, NOT-valid entries go
/// first, then the least recently updated valid ones. Empty until the first answer.
struct AuthorizationCache: Sendable {
    struct Entry: Sendable, Equatable {
        var idTag: String
        var parentIdTag: String?
        var expiry: Timestamp?
        var status: V16.AuthorizationStatus
    }

    /// Least recently updated first.
    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    func lookup(_ idTag: String, now: Timestamp) -> Entry? {
        guard var entry = entries.first(where: { IdToken.equal($0.idTag, idTag) }) else { return nil }
        entry.status = entry.status.asOf(now, expiry: entry.expiry)
        return entry
    }

    mutating func update(_ idTag: String, _ info: V16.IdTagInfo, now: Timestamp, capacity: Int) {
        entries.removeAll { IdToken.equal($0.idTag, idTag) }
        if entries.count >= capacity {
            entries.removeAll { !$0.status.asOf(now, expiry: $0.expiry).isValid }
        }
        if entries.count >= capacity {
            entries.removeFirst(entries.count - capacity + 1)
        }
        entries.append(Entry(idTag: idTag, parentIdTag: info.parentIdTag, expiry: info.expiryDate, status: info.status))
    }

    mutating func remove(_ idTag: String) {
        entries.removeAll { IdToken.equal($0.idTag, idTag) }
    }

    /// ClearCache.req (OCPP 1.6 §5.4); frees the storage too.
    mutating func removeAll() {
        entries = []
    }
}
