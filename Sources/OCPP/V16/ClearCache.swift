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
    public typealias ClearCacheResponse = StatusPayload<ClearCacheStatus>
}
