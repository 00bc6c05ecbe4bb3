extension V16 {
    /// GetLocalListVersion.req (OCPP 1.6 §6.27): asks for the local authorization list's version.
    public struct GetLocalListVersionRequest: OCPPRequest, EmptyPayload {
        public typealias Response = GetLocalListVersionResponse
        public static let action = Action.getLocalListVersion.rawValue

        public init() {}
    }

    /// GetLocalListVersion.conf (OCPP 1.6 §6.28): 0 for an empty list, -1 when the charge
    /// point does not support a local authorization list (OCPP 1.6 §5.10).
    public struct GetLocalListVersionResponse: OCPPPayload {
        public var listVersion: Int

        public init(listVersion: Int) {
            self.listVersion = listVersion
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["listVersion"])
            listVersion = try r.integer("listVersion")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("listVersion", listVersion)
            }
        }
    }
}
