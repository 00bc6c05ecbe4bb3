extension V16 {
    /// Whether SendLocalList.req replaces the list or changes it (OCPP 1.6 §7.48).
    public enum UpdateType: String, OCPPEnum {
        case differential = "Differential"
        case full = "Full"
    }

    /// The answer to SendLocalList.req (OCPP 1.6 §7.47). VersionMismatch: a differential
    /// update's version is not greater than the list's.
    public enum UpdateStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case failed = "Failed"
        case notSupported = "NotSupported"
        case versionMismatch = "VersionMismatch"
    }

    /// One entry of a local authorization list update (OCPP 1.6 §7.1); in a differential
    /// update an absent `idTagInfo` removes the idTag from the list.
    public struct AuthorizationData: OCPPPayload {
        public var idTag: String                       // IdToken, CiString20
        public var idTagInfo: IdTagInfo?

        public init(idTag: String, idTagInfo: IdTagInfo? = nil) {
            self.idTag = idTag
            self.idTagInfo = idTagInfo
        }

        static let members = ["idTag", "idTagInfo"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            idTag = try r.string("idTag", maxLength: 20)
            idTagInfo = try r.optionalObject("idTagInfo", IdTagInfo.init(reader:), known: IdTagInfo.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("idTag", idTag)
                w.field("idTagInfo", idTagInfo)
            }
        }
    }

    /// SendLocalList.req (OCPP 1.6 §6.41): a full local authorization list or changes to it.
    public struct SendLocalListRequest: OCPPRequest {
        public typealias Response = SendLocalListResponse
        public static let action = Action.sendLocalList.rawValue

        /// Full: the version of the new list; Differential: the version after the update.
        public var listVersion: Int
        /// At most SendLocalListMaxLength entries, idTags unique.
        public var localAuthorizationList: [AuthorizationData]?
        public var updateType: UpdateType

        public init(listVersion: Int, localAuthorizationList: [AuthorizationData]? = nil, updateType: UpdateType) {
            self.listVersion = listVersion
            self.localAuthorizationList = localAuthorizationList
            self.updateType = updateType
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["listVersion", "localAuthorizationList", "updateType"])
            listVersion = try r.integer("listVersion")
            localAuthorizationList = try r.optionalArray("localAuthorizationList") { value, path throws(CallError) in
                try PayloadReader.element(value, path: path, known: AuthorizationData.members, AuthorizationData.init(reader:))
            }
            updateType = try r.enumeration("updateType")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("listVersion", listVersion)
                w.field("localAuthorizationList", localAuthorizationList)
                w.field("updateType", updateType)
            }
        }
    }

    /// SendLocalList.conf (OCPP 1.6 §6.42).
    public typealias SendLocalListResponse = StatusPayload<UpdateStatus>
}
