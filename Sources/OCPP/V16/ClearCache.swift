extension V16 {
    /// The answer to ClearCache.req (OCPP 1.6 §7.20).
    public enum ClearCacheStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
    }

    /// ClearCache.req (OCPP 1.6 §6.11): empties the charge point's authorization cache.
    public struct ClearCacheRequest: OCPPRequest, EmptyPayload {
        public typealias Response = ClearCacheResponse
        public static let action = Action.clearCache.rawValue

        public init() {}
    }

    /// ClearCache.conf (OCPP 1.6 §6.12).
    public struct ClearCacheResponse: OCPPPayload {
        public var status: ClearCacheStatus

        public init(status: ClearCacheStatus) {
            self.status = status
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status"])
            status = try r.enumeration("status")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("status", status)
            }
        }
    }
}
