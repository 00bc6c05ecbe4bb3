extension V16 {
    /// The answer to GetCompositeSchedule.req (OCPP 1.6 §7.24).
    public enum GetCompositeScheduleStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
    }

    /// GetCompositeSchedule.req (OCPP 1.6 §6.29): the limits in force on a connector (0: the
    /// grid connection of the whole charge point) from now for `duration` seconds.
    public struct GetCompositeScheduleRequest: OCPPRequest {
        public typealias Response = GetCompositeScheduleResponse
        public static let action = Action.getCompositeSchedule.rawValue

        public var connectorId: Int
        /// Seconds.
        public var duration: Int
        /// Absent: the charge point chooses the unit.
        public var chargingRateUnit: ChargingRateUnitType?

        public init(connectorId: Int, duration: Int, chargingRateUnit: ChargingRateUnitType? = nil) {
            self.connectorId = connectorId
            self.duration = duration
            self.chargingRateUnit = chargingRateUnit
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["connectorId", "duration", "chargingRateUnit"])
            connectorId = try r.integer("connectorId")
            duration = try r.integer("duration")
            chargingRateUnit = try r.optionalEnumeration("chargingRateUnit")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("connectorId", connectorId)
                w.field("duration", duration)
                w.field("chargingRateUnit", chargingRateUnit)
            }
        }
    }

    /// GetCompositeSchedule.conf (OCPP 1.6 §6.30): the schedule's periods are relative to
    /// `scheduleStart`; a Rejected answer may leave out everything but the status.
    public struct GetCompositeScheduleResponse: OCPPPayload {
        public var status: GetCompositeScheduleStatus
        public var connectorId: Int?
        public var scheduleStart: Timestamp?
        public var chargingSchedule: ChargingSchedule?

        public init(status: GetCompositeScheduleStatus, connectorId: Int? = nil, scheduleStart: Timestamp? = nil,
                    chargingSchedule: ChargingSchedule? = nil) {
            self.status = status
            self.connectorId = connectorId
            self.scheduleStart = scheduleStart
            self.chargingSchedule = chargingSchedule
        }

        public init(json: JSONValue) throws(CallError) {
            let r = try PayloadReader(json, known: ["status", "connectorId", "scheduleStart", "chargingSchedule"])
            status = try r.enumeration("status")
            connectorId = try r.optionalInteger("connectorId")
            scheduleStart = try r.optionalTimestamp("scheduleStart")
            chargingSchedule = try r.optionalObject("chargingSchedule", ChargingSchedule.init(reader:),
                                                    known: ChargingSchedule.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("status", status)
                w.field("connectorId", connectorId)
                w.field("scheduleStart", scheduleStart)
                w.field("chargingSchedule", chargingSchedule)
            }
        }
    }
}
