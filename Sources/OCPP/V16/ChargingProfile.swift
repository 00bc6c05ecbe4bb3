extension V16 {
    /// What a charging profile limits (OCPP 1.6 §7.10).
    public enum ChargingProfilePurposeType: String, OCPPEnum {
        case chargePointMaxProfile = "ChargePointMaxProfile"
        case txDefaultProfile = "TxDefaultProfile"
        case txProfile = "TxProfile"
    }

    /// How a schedule's start is anchored (OCPP 1.6 §7.9).
    public enum ChargingProfileKindType: String, OCPPEnum {
        case absolute = "Absolute"
        case recurring = "Recurring"
        case relative = "Relative"
    }

    /// The period of a Recurring profile (OCPP 1.6 §7.37).
    public enum RecurrencyKindType: String, OCPPEnum {
        case daily = "Daily"
        case weekly = "Weekly"
    }

    /// Unit of a schedule's limits: amperes or watts (OCPP 1.6 §7.12).
    public enum ChargingRateUnitType: String, OCPPEnum {
        case a = "A"
        case w = "W"
    }

    /// One step of a charging schedule (OCPP 1.6 §7.14).
    public struct ChargingSchedulePeriod: OCPPPayload {
        /// Seconds from the start of the schedule.
        public var startPeriod: Int
        /// In the schedule's unit; the schema requires a multiple of 0.1.
        public var limit: Double
        public var numberPhases: Int?

        public init(startPeriod: Int, limit: Double, numberPhases: Int? = nil) {
            self.startPeriod = startPeriod
            self.limit = limit
            self.numberPhases = numberPhases
        }

        static let members = ["startPeriod", "limit", "numberPhases"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            startPeriod = try r.integer("startPeriod")
            limit = try r.number("limit", multipleOf: 0.1)
            numberPhases = try r.optionalInteger("numberPhases")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("startPeriod", startPeriod)
                w.field("limit", limit)
                w.field("numberPhases", numberPhases)
            }
        }
    }

    /// A list of limits over time (OCPP 1.6 §7.13). The specification gives
    /// `chargingSchedulePeriod` a cardinality of 1..*, but the 1.6 JSON schemas set no
    /// `minItems`; decoding follows the schemas and accepts an empty list.
    public struct ChargingSchedule: OCPPPayload {
        /// Seconds; absent means the last period lasts until the profile ends.
        public var duration: Int?
        public var startSchedule: Timestamp?
        public var chargingRateUnit: ChargingRateUnitType
        public var chargingSchedulePeriod: [ChargingSchedulePeriod]
        /// In the schedule's unit; the schema requires a multiple of 0.1.
        public var minChargingRate: Double?

        public init(duration: Int? = nil, startSchedule: Timestamp? = nil, chargingRateUnit: ChargingRateUnitType,
                    chargingSchedulePeriod: [ChargingSchedulePeriod], minChargingRate: Double? = nil) {
            self.duration = duration
            self.startSchedule = startSchedule
            self.chargingRateUnit = chargingRateUnit
            self.chargingSchedulePeriod = chargingSchedulePeriod
            self.minChargingRate = minChargingRate
        }

        static let members = ["duration", "startSchedule", "chargingRateUnit", "chargingSchedulePeriod", "minChargingRate"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            duration = try r.optionalInteger("duration")
            startSchedule = try r.optionalTimestamp("startSchedule")
            chargingRateUnit = try r.enumeration("chargingRateUnit")
            chargingSchedulePeriod = try r.array("chargingSchedulePeriod") { value, path throws(CallError) in
                try PayloadReader.element(value, path: path, known: ChargingSchedulePeriod.members, ChargingSchedulePeriod.init(reader:))
            }
            minChargingRate = try r.optionalNumber("minChargingRate", multipleOf: 0.1)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("duration", duration)
                w.field("startSchedule", startSchedule)
                w.field("chargingRateUnit", chargingRateUnit)
                w.field("chargingSchedulePeriod", chargingSchedulePeriod)
                w.field("minChargingRate", minChargingRate)
            }
        }
    }

    /// A charging profile (OCPP 1.6 §7.8), as carried by RemoteStartTransaction.req
    /// (`chargingProfile`) and SetChargingProfile.req (`csChargingProfiles`).
    public struct ChargingProfile: OCPPPayload {
        public var chargingProfileId: Int
        /// Only for TxProfile: the transaction the profile applies to.
        public var transactionId: Int?
        public var stackLevel: Int
        public var chargingProfilePurpose: ChargingProfilePurposeType
        public var chargingProfileKind: ChargingProfileKindType
        public var recurrencyKind: RecurrencyKindType?
        public var validFrom: Timestamp?
        public var validTo: Timestamp?
        public var chargingSchedule: ChargingSchedule

        public init(chargingProfileId: Int, transactionId: Int? = nil, stackLevel: Int,
                    chargingProfilePurpose: ChargingProfilePurposeType, chargingProfileKind: ChargingProfileKindType,
                    recurrencyKind: RecurrencyKindType? = nil, validFrom: Timestamp? = nil, validTo: Timestamp? = nil,
                    chargingSchedule: ChargingSchedule) {
            self.chargingProfileId = chargingProfileId
            self.transactionId = transactionId
            self.stackLevel = stackLevel
            self.chargingProfilePurpose = chargingProfilePurpose
            self.chargingProfileKind = chargingProfileKind
            self.recurrencyKind = recurrencyKind
            self.validFrom = validFrom
            self.validTo = validTo
            self.chargingSchedule = chargingSchedule
        }

        static let members = ["chargingProfileId", "transactionId", "stackLevel", "chargingProfilePurpose",
                              "chargingProfileKind", "recurrencyKind", "validFrom", "validTo", "chargingSchedule"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            chargingProfileId = try r.integer("chargingProfileId")
            transactionId = try r.optionalInteger("transactionId")
            stackLevel = try r.integer("stackLevel")
            chargingProfilePurpose = try r.enumeration("chargingProfilePurpose")
            chargingProfileKind = try r.enumeration("chargingProfileKind")
            recurrencyKind = try r.optionalEnumeration("recurrencyKind")
            validFrom = try r.optionalTimestamp("validFrom")
            validTo = try r.optionalTimestamp("validTo")
            chargingSchedule = try r.object("chargingSchedule", ChargingSchedule.init(reader:), known: ChargingSchedule.members)
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("chargingProfileId", chargingProfileId)
                w.field("transactionId", transactionId)
                w.field("stackLevel", stackLevel)
                w.field("chargingProfilePurpose", chargingProfilePurpose)
                w.field("chargingProfileKind", chargingProfileKind)
                w.field("recurrencyKind", recurrencyKind)
                w.field("validFrom", validFrom)
                w.field("validTo", validTo)
                w.field("chargingSchedule", chargingSchedule)
            }
        }
    }
}
