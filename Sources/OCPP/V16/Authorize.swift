extension V16 {
    /// Authorize.req (OCPP 1.6 §6.1): asks whether an idTag may start or stop charging.
    public struct AuthorizeRequest: OCPPRequest {
        public typealias Response = AuthorizeResponse
        public static let action = Action.authorize.rawValue

        public var idTag: String                       // IdToken, CiString20

        public init(idTag: String) {
            self.idTag = idTag
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["idTag"])
            idTag = try r.string("idTag", maxLength: 20)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("idTag", idTag)
            }
        }
    }

    /// Authorize.conf (OCPP 1.6 §6.2).
    public struct AuthorizeResponse: OCPPPayload {
        public var idTagInfo: IdTagInfo

        public init(idTagInfo: IdTagInfo) {
            self.idTagInfo = idTagInfo
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["idTagInfo"])
            idTagInfo = try r.object("idTagInfo", IdTagInfo.init(reader:), known: IdTagInfo.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("idTagInfo", idTagInfo)
            }
        }
    }
}
