extension V16 {
    /// Heartbeat.req (OCPP 1.6 §6.29): keeps the connection alive and syncs the clock.
    public struct HeartbeatRequest: OCPPRequest, EmptyPayload {
        public typealias Response = HeartbeatResponse
        public static let action = Action.heartbeat.rawValue

        public init() {}
    }

    /// Heartbeat.conf (OCPP 1.6 §6.30).
    public struct HeartbeatResponse: OCPPPayload {
        public var currentTime: Timestamp

        public init(currentTime: Timestamp) {
            self.currentTime = currentTime
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["currentTime"])
            currentTime = try r.timestamp("currentTime")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("currentTime", currentTime)
            }
        }
    }
}
