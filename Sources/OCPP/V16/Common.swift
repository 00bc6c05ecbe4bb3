extension V16 {
    /// Whether an idTag may charge (OCPP 1.6 §7.2).
    public enum AuthorizationStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case blocked = "Blocked"
        case expired = "Expired"
        case invalid = "Invalid"
        case concurrentTx = "ConcurrentTx"
    }

    /// The CSMS's answer to RemoteStartTransaction and RemoteStopTransaction (OCPP 1.6 §7.39).
    public enum RemoteStartStopStatus: String, OCPPEnum {
        case accepted = "Accepted"
        case rejected = "Rejected"
    }

    /// Authorization of an idTag as returned by Authorize, StartTransaction and
    /// StopTransaction (OCPP 1.6 §7.27).
    public struct IdTagInfo: OCPPPayload {
        public var expiryDate: Timestamp?
        public var parentIdTag: String?                // IdToken, CiString20
        public var status: AuthorizationStatus

        public init(expiryDate: Timestamp? = nil, parentIdTag: String? = nil, status: AuthorizationStatus) {
            self.expiryDate = expiryDate
            self.parentIdTag = parentIdTag
            self.status = status
        }

        static let members = ["expiryDate", "parentIdTag", "status"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members))
        }

        init(reader r: PayloadReader) throws(CallError) {
            expiryDate = try r.optionalTimestamp("expiryDate")
            parentIdTag = try r.optionalString("parentIdTag", maxLength: 20)
            status = try r.enumeration("status")
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("expiryDate", expiryDate)
                w.field("parentIdTag", parentIdTag)
                w.field("status", status)
            }
        }
    }

    // MARK: meter values (OCPP 1.6 §7.33, §7.43)

    /// Why a sample was taken (OCPP 1.6 §7.35).
    public enum ReadingContext: String, OCPPEnum {
        case interruptionBegin = "Interruption.Begin"
        case interruptionEnd = "Interruption.End"
        case sampleClock = "Sample.Clock"
        case samplePeriodic = "Sample.Periodic"
        case transactionBegin = "Transaction.Begin"
        case transactionEnd = "Transaction.End"
        case trigger = "Trigger"
        case other = "Other"
    }

    /// Whether a sampled value is plain or signed data (OCPP 1.6 §7.49).
    public enum ValueFormat: String, OCPPEnum {
        case raw = "Raw"
        case signedData = "SignedData"
    }

    /// The quantity a sample measures (OCPP 1.6 §7.31); case names are the dotted names in camelCase.
    public enum Measurand: String, OCPPEnum {
        case energyActiveExportRegister = "Energy.Active.Export.Register"
        case energyActiveImportRegister = "Energy.Active.Import.Register"
        case energyReactiveExportRegister = "Energy.Reactive.Export.Register"
        case energyReactiveImportRegister = "Energy.Reactive.Import.Register"
        case energyActiveExportInterval = "Energy.Active.Export.Interval"
        case energyActiveImportInterval = "Energy.Active.Import.Interval"
        case energyReactiveExportInterval = "Energy.Reactive.Export.Interval"
        case energyReactiveImportInterval = "Energy.Reactive.Import.Interval"
        case powerActiveExport = "Power.Active.Export"
        case powerActiveImport = "Power.Active.Import"
        case powerOffered = "Power.Offered"
        case powerReactiveExport = "Power.Reactive.Export"
        case powerReactiveImport = "Power.Reactive.Import"
        case powerFactor = "Power.Factor"
        case currentImport = "Current.Import"
        case currentExport = "Current.Export"
        case currentOffered = "Current.Offered"
        case voltage = "Voltage"
        case frequency = "Frequency"
        case temperature = "Temperature"
        case soC = "SoC"
        case rpm = "RPM"
    }

    /// The phase a sample was measured on (OCPP 1.6 §7.34).
    public enum Phase: String, OCPPEnum {
        case l1 = "L1"
        case l2 = "L2"
        case l3 = "L3"
        case n = "N"
        case l1N = "L1-N"
        case l2N = "L2-N"
        case l3N = "L3-N"
        case l1L2 = "L1-L2"
        case l2L3 = "L2-L3"
        case l3L1 = "L3-L1"
    }

    /// Where a sample was measured (OCPP 1.6 §7.30).
    public enum Location: String, OCPPEnum {
        case cable = "Cable"
        case ev = "EV"
        case inlet = "Inlet"
        case outlet = "Outlet"
        case body = "Body"
    }

    /// Unit of a sampled value (OCPP 1.6 §7.45). `Celcius` (a misspelling kept beside
    /// `Celsius`) and `Hertz` come from the JSON schemas, not the specification's table; `Hertz`
    /// is only in the MeterValues.req schema, so StopTransaction's `transactionData` must not use it.
    public enum UnitOfMeasure: String, OCPPEnum {
        case wh = "Wh"
        case kWh = "kWh"
        case varh = "varh"
        case kvarh = "kvarh"
        case w = "W"
        case kW = "kW"
        case va = "VA"
        case kVA = "kVA"
        case `var` = "var"
        case kvar = "kvar"
        case a = "A"
        case v = "V"
        case k = "K"
        case celcius = "Celcius"
        case celsius = "Celsius"
        case fahrenheit = "Fahrenheit"
        case percent = "Percent"
        case hertz = "Hertz"
    }

    /// The two 1.6 schemas that carry meter values disagree: MeterValues.req requires at
    /// least one sampledValue and allows the unit Hertz; StopTransaction.req's
    /// `transactionData` requires neither and forbids Hertz. Decoding follows each schema.
    enum MeterValueSchema {
        case meterValues
        case stopTransaction
    }

    /// One sample (OCPP 1.6 §7.43); only `value` is required.
    public struct SampledValue: OCPPPayload {
        public var value: String
        public var context: ReadingContext?
        public var format: ValueFormat?
        public var measurand: Measurand?
        public var phase: Phase?
        public var location: Location?
        public var unit: UnitOfMeasure?

        public init(value: String, context: ReadingContext? = nil, format: ValueFormat? = nil,
                    measurand: Measurand? = nil, phase: Phase? = nil, location: Location? = nil,
                    unit: UnitOfMeasure? = nil) {
            self.value = value
            self.context = context
            self.format = format
            self.measurand = measurand
            self.phase = phase
            self.location = location
            self.unit = unit
        }

        static let members = ["value", "context", "format", "measurand", "phase", "location", "unit"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members), schema: .meterValues)
        }

        init(reader r: PayloadReader, schema: MeterValueSchema) throws(CallError) {
            value = try r.string("value")
            context = try r.optionalEnumeration("context")
            format = try r.optionalEnumeration("format")
            measurand = try r.optionalEnumeration("measurand")
            phase = try r.optionalEnumeration("phase")
            location = try r.optionalEnumeration("location")
            unit = try r.optionalEnumeration("unit")
            switch schema {
            case .meterValues:
                break
            case .stopTransaction:
                if unit == .hertz { throw r.outOfRange("unit", "has no value 'Hertz' in StopTransaction.req") }
            }
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("value", value)
                w.field("context", context)
                w.field("format", format)
                w.field("measurand", measurand)
                w.field("phase", phase)
                w.field("location", location)
                w.field("unit", unit)
            }
        }
    }

    /// Samples taken at one point in time (OCPP 1.6 §7.33).
    public struct MeterValue: OCPPPayload {
        public var timestamp: Timestamp
        /// At least one element in MeterValues.req (the StopTransaction.req schema allows none).
        public var sampledValue: [SampledValue]

        public init(timestamp: Timestamp, sampledValue: [SampledValue]) {
            self.timestamp = timestamp
            self.sampledValue = sampledValue
        }

        static let members = ["timestamp", "sampledValue"]

        public init(json: JSONValue) throws(CallError) {
            try self.init(reader: PayloadReader(json, known: Self.members), schema: .meterValues)
        }

        init(reader r: PayloadReader, schema: MeterValueSchema) throws(CallError) {
            timestamp = try r.timestamp("timestamp")
            let minItems = switch schema {
            case .meterValues: 1
            case .stopTransaction: 0
            }
            sampledValue = try r.array("sampledValue", minItems: minItems) { value, path throws(CallError) in
                try PayloadReader.element(value, path: path, known: SampledValue.members) { r throws(CallError) in
                    try SampledValue(reader: r, schema: schema)
                }
            }
        }

        /// Decodes an array of meter values under the rules of `schema`.
        static func array(_ r: PayloadReader, _ key: String, minItems: Int, schema: MeterValueSchema) throws(CallError) -> [MeterValue] {
            try r.array(key, minItems: minItems) { value, path throws(CallError) in
                try PayloadReader.element(value, path: path, known: members) { r throws(CallError) in
                    try MeterValue(reader: r, schema: schema)
                }
            }
        }

        static func optionalArray(_ r: PayloadReader, _ key: String, schema: MeterValueSchema) throws(CallError) -> [MeterValue]? {
            try r.optionalArray(key) { value, path throws(CallError) in
                try PayloadReader.element(value, path: path, known: members) { r throws(CallError) in
                    try MeterValue(reader: r, schema: schema)
                }
            }
        }

        public func encode(to w: inout JSONWriter) {
            w.object { w in
                w.field("timestamp", timestamp)
                w.field("sampledValue", sampledValue)
            }
        }
    }
}
