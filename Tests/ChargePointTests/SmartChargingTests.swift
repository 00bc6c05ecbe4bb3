@testable import ChargePoint
import OCPP
import Testing

/// Builders for the profiles of these tests. Limits in A become W at 230 V per phase.
private enum Make {
    typealias V = V16

    static func profile(_ id: Int, stack: Int = 0, _ purpose: V.ChargingProfilePurposeType,
                        kind: V.ChargingProfileKindType = .absolute, recurrency: V.RecurrencyKindType? = nil,
                        transactionId: Int? = nil, validFrom: Timestamp? = nil, validTo: Timestamp? = nil,
                        start: Timestamp? = nil, duration: Int? = nil, unit: V.ChargingRateUnitType = .a,
                        minRate: Double? = nil, _ periods: [(Int, Double)], phases: Int? = nil) -> V.ChargingProfile {
        V.ChargingProfile(
            chargingProfileId: id, transactionId: transactionId, stackLevel: stack, chargingProfilePurpose: purpose,
            chargingProfileKind: kind, recurrencyKind: recurrency, validFrom: validFrom, validTo: validTo,
            chargingSchedule: V.ChargingSchedule(
                duration: duration, startSchedule: start, chargingRateUnit: unit,
                chargingSchedulePeriod: periods.map { V.ChargingSchedulePeriod(startPeriod: $0.0, limit: $0.1, numberPhases: phases) },
                minChargingRate: minRate))
    }

    static func periods(_ pairs: [(Int, Double)], phases: Int? = nil) -> [V.ChargingSchedulePeriod] {
        pairs.map { V.ChargingSchedulePeriod(startPeriod: $0.0, limit: $0.1, numberPhases: phases) }
    }
}

extension ScriptedCSMS {
    mutating func set(_ profile: V16.ChargingProfile, on connector: Int,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> V16.ChargingProfileStatus {
        try call(V16.SetChargingProfileRequest(connectorId: connector, csChargingProfiles: profile),
                 sourceLocation: sourceLocation).status
    }

    mutating func clear(id: Int? = nil, connector: Int? = nil, purpose: V16.ChargingProfilePurposeType? = nil,
                        stack: Int? = nil) throws -> V16.ClearChargingProfileStatus {
        try call(V16.ClearChargingProfileRequest(id: id, connectorId: connector, chargingProfilePurpose: purpose,
                                                 stackLevel: stack)).status
    }

    /// The periods of GetCompositeSchedule.conf, checking the answer's frame.
    mutating func composite(_ connector: Int, seconds: Int, unit: V16.ChargingRateUnitType? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> V16.ChargingSchedule {
        let answer = try call(V16.GetCompositeScheduleRequest(connectorId: connector, duration: seconds, chargingRateUnit: unit),
                              sourceLocation: sourceLocation)
        #expect(answer.status == .accepted, sourceLocation: sourceLocation)
        #expect(answer.connectorId == connector, sourceLocation: sourceLocation)
        #expect(answer.scheduleStart == now, sourceLocation: sourceLocation)
        let schedule = try #require(answer.chargingSchedule, sourceLocation: sourceLocation)
        #expect(schedule.duration == seconds && schedule.startSchedule == now, sourceLocation: sourceLocation)
        if let unit { #expect(schedule.chargingRateUnit == unit, sourceLocation: sourceLocation) }
        return schedule
    }

    /// The power a connector draws now, read from the meter over one second.
    func powerW(_ connector: Int) -> Double { engine.connectors[connector].meter.powerW }

    /// A transaction on `connector` by plug and card; returns its transactionId.
    @discardableResult
    mutating func startSession(_ connector: Int, ev: EVProfile = EVProfile(maxPowerW: 22_000), tag: String = "TAG",
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        plugIn(connector, ev: ev)
        present(tag, on: connector)
        let started = events.compactMap { event -> Int? in
            if case .transactionStarted(connector, let id) = event { id } else { nil }
        }.last
        return try #require(started, "no transaction started on connector \(connector)", sourceLocation: sourceLocation)
    }
}

@Suite("SmartCharging: charging profiles, composite schedules and the power they allow")
struct SmartChargingTests {
    typealias V = V16
    static let t0 = ScriptedCSMS.start  // 2026-05-28T20:26:40Z
    static let midnight = Timestamp(seconds: 1_779_926_400)  // 2026-05-28T00:00:00Z

    // MARK: rejections

    struct Rejection: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let connector: Int
        /// The profile, given the running transaction's id on connector 1.
        let make: @Sendable (Int) -> V16.ChargingProfile

        init(_ description: String, connector: Int = 1, _ make: @escaping @Sendable (Int) -> V16.ChargingProfile) {
            testDescription = description
            self.connector = connector
            self.make = make
        }

        static let good: [(Int, Double)] = [(0, 16)]

        static let all: [Rejection] = [
            Rejection("a connector that does not exist", connector: 3) { _ in Make.profile(1, .txDefaultProfile, good) },
            Rejection("a negative connector", connector: -1) { _ in Make.profile(1, .txDefaultProfile, good) },
            Rejection("a ChargePointMaxProfile on a connector") { _ in Make.profile(1, .chargePointMaxProfile, good) },
            Rejection("a TxProfile on connector 0", connector: 0) { _ in Make.profile(1, .txProfile, good) },
            Rejection("a TxProfile on a connector without a transaction", connector: 2) { _ in Make.profile(1, .txProfile, good) },
            Rejection("a TxProfile for another transaction") { id in Make.profile(1, .txProfile, transactionId: id + 1, good) },
            Rejection("a transactionId on a TxDefaultProfile") { id in Make.profile(1, .txDefaultProfile, transactionId: id, good) },
            Rejection("a stack level above ChargeProfileMaxStackLevel") { _ in Make.profile(1, stack: 9, .txDefaultProfile, good) },
            Rejection("a negative stack level") { _ in Make.profile(1, stack: -1, .txDefaultProfile, good) },
            Rejection("more periods than ChargingScheduleMaxPeriods") { _ in
                Make.profile(1, .txDefaultProfile, (0..<25).map { ($0 * 60, 16) })
            },
            Rejection("no period") { _ in Make.profile(1, .txDefaultProfile, []) },
            Rejection("periods out of order") { _ in Make.profile(1, .txDefaultProfile, [(0, 16), (600, 10), (300, 8)]) },
            Rejection("a negative startPeriod") { _ in Make.profile(1, .txDefaultProfile, [(-60, 16)]) },
            Rejection("a negative limit") { _ in Make.profile(1, .txDefaultProfile, [(0, -6)]) },
            Rejection("four phases") { _ in Make.profile(1, .txDefaultProfile, good, phases: 4) },
            Rejection("a Recurring profile without recurrencyKind") { _ in
                Make.profile(1, .txDefaultProfile, kind: .recurring, start: SmartChargingTests.midnight, good)
            },
            Rejection("a zero duration") { _ in Make.profile(1, .txDefaultProfile, duration: 0, good) },
            Rejection("validTo before validFrom") { _ in
                Make.profile(1, .txDefaultProfile, validFrom: SmartChargingTests.t0 + .seconds(60),
                             validTo: SmartChargingTests.t0, good)
            },
            Rejection("a negative minChargingRate") { _ in Make.profile(1, .txDefaultProfile, minRate: -1, good) },
        ]
    }

    @Test("SetChargingProfile is Rejected, and installs nothing, for", arguments: Rejection.all)
    func rejected(_ rejection: Rejection) throws {
        var csms = ScriptedCSMS.booted()
        let transaction = try csms.startSession(1)
        #expect(try csms.set(rejection.make(transaction), on: rejection.connector) == .rejected)
        #expect(try csms.clear() == .unknown)
        #expect(csms.powerW(1) == 22_000)
    }

    @Test("A TxProfile is Accepted for the running transaction, named or not")
    func txProfileAccepted() throws {
        var csms = ScriptedCSMS.booted()
        let transaction = try csms.startSession(1)
        #expect(try csms.set(Make.profile(1, .txProfile, transactionId: transaction, [(0, 16)]), on: 1) == .accepted)
        #expect(try csms.set(Make.profile(2, stack: 1, .txProfile, [(0, 10)]), on: 1) == .accepted)
        #expect(csms.powerW(1) == 6_900)
    }

    @Test("A unit outside ChargingScheduleAllowedChargingRateUnit is Rejected, in profiles and composite schedules")
    func unitNotAllowed() throws {
        var csms = ScriptedCSMS.booted()
        csms.engine.allowChargingRateUnits(.current)
        let report = try csms.call(V.GetConfigurationRequest(key: ["ChargingScheduleAllowedChargingRateUnit"]))
        #expect(report.configurationKey == [V.KeyValue(key: "ChargingScheduleAllowedChargingRateUnit", readonly: true,
                                                       value: "Current")])
        #expect(try csms.set(Make.profile(1, .txDefaultProfile, unit: .w, [(0, 11_000)]), on: 0) == .rejected)
        #expect(try csms.set(Make.profile(1, .txDefaultProfile, unit: .a, [(0, 16)]), on: 0) == .accepted)
        let answer = try csms.call(V.GetCompositeScheduleRequest(connectorId: 1, duration: 60, chargingRateUnit: .w))
        #expect(answer == V.GetCompositeScheduleResponse(status: .rejected))
        #expect(try csms.composite(1, seconds: 60, unit: .a).chargingSchedulePeriod == Make.periods([(0, 16)]))
        // The CSMS cannot change the key.
        #expect(try csms.call(V.ChangeConfigurationRequest(key: "ChargingScheduleAllowedChargingRateUnit",
                                                           value: "Current,Power")).status == .rejected)
    }

    @Test("The SmartCharging configuration keys report the simulated model's bounds")
    func configurationKeys() throws {
        var csms = ScriptedCSMS.booted()
        let keys = ["ChargeProfileMaxStackLevel", "ChargingScheduleAllowedChargingRateUnit", "ChargingScheduleMaxPeriods",
                    "ConnectorSwitch3to1PhaseSupported", "MaxChargingProfilesInstalled"]
        let report = try csms.call(V.GetConfigurationRequest(key: keys))
        #expect(report.configurationKey == zip(keys, ["8", "Current,Power", "24", "false", "16"]).map {
            V.KeyValue(key: $0.0, readonly: true, value: $0.1)
        })
        #expect(report.unknownKey == nil)
    }

    @Test("MaxChargingProfilesInstalled: the 17th profile is Rejected, a replacement is not, and a cleared slot is free again")
    func capacity() throws {
        var csms = ScriptedCSMS.booted()
        // 16 distinct profiles: stack levels 0...7 on connectors 1 and 2.
        for id in 1...16 {
            let status = try csms.set(Make.profile(id, stack: (id - 1) % 8, .txDefaultProfile, [(0, Double(id))]),
                                      on: id <= 8 ? 1 : 2)
            #expect(status == .accepted, "profile \(id)")
        }
        #expect(try csms.set(Make.profile(17, stack: 8, .txDefaultProfile, [(0, 6)]), on: 1) == .rejected)
        #expect(try csms.set(Make.profile(18, .chargePointMaxProfile, [(0, 6)]), on: 0) == .rejected)
        // Same id, or same stack level and purpose on the same connector: replaced, so it fits.
        #expect(try csms.set(Make.profile(3, stack: 8, .txDefaultProfile, [(0, 6)]), on: 1) == .accepted)
        #expect(try csms.set(Make.profile(19, stack: 0, .txDefaultProfile, [(0, 6)]), on: 1) == .accepted)
        #expect(try csms.clear(id: 1) == .unknown)  // replaced by 19
        #expect(try csms.clear(id: 16) == .accepted)
        #expect(try csms.set(Make.profile(17, stack: 8, .txDefaultProfile, [(0, 6)]), on: 2) == .accepted)
    }

    // MARK: replacement and stack levels

    @Test("Same id replaces, same stack level and purpose on the same connector replaces, the highest stack level wins")
    func replacementAndStackLevels() throws {
        var csms = ScriptedCSMS.booted()
        func limit(_ connector: Int) throws -> Double? {
            try csms.composite(connector, seconds: 60, unit: .a).chargingSchedulePeriod.first?.limit
        }
        #expect(try csms.set(Make.profile(1, stack: 0, .txDefaultProfile, [(0, 16)]), on: 0) == .accepted)
        #expect(try limit(1) == 16)
        #expect(try csms.set(Make.profile(2, stack: 1, .txDefaultProfile, [(0, 10)]), on: 0) == .accepted)
        #expect(try limit(1) == 10)  // stack level 1 over 0, even though higher
        #expect(try csms.set(Make.profile(3, stack: 1, .txDefaultProfile, [(0, 20)]), on: 0) == .accepted)
        #expect(try limit(1) == 20)  // replaced profile 2
        #expect(try csms.clear(id: 2) == .unknown)
        #expect(try csms.set(Make.profile(1, stack: 2, .txDefaultProfile, [(0, 8)]), on: 0) == .accepted)
        #expect(try limit(1) == 8)  // profile 1 moved from stack level 0 to 2
        #expect(try csms.clear(stack: 0) == .unknown)
        // A TxDefaultProfile for one connector replaces the charge point's default there only,
        // whatever its stack level; the same stack level on another connector is another slot.
        #expect(try csms.set(Make.profile(4, stack: 2, .txDefaultProfile, [(0, 12)]), on: 1) == .accepted)
        #expect(try limit(1) == 12)
        #expect(try limit(2) == 8)
        #expect(try csms.set(Make.profile(5, stack: 2, .txDefaultProfile, [(0, 14)]), on: 2) == .accepted)
        #expect(try limit(1) == 12)
        #expect(try limit(2) == 14)
        #expect(try csms.clear(id: 4) == .accepted)
        #expect(try limit(1) == 8)
        // A TxProfile overrules every TxDefaultProfile for its transaction only.
        try csms.startSession(1)
        #expect(try csms.set(Make.profile(6, stack: 0, .txProfile, [(0, 25)]), on: 1) == .accepted)
        #expect(try limit(1) == 25)
        #expect(csms.powerW(1) == 17_250)
        #expect(try limit(2) == 14)
    }

    // MARK: the power follows the limit

    /// The limit of the daily profile below, in W, at a second of the day.
    private static func dailyLimitW(_ secondOfDay: Int64) -> Int64 {
        secondOfDay < 21_600 ? 6_900 : secondOfDay < 79_200 ? 11_040 : 4_140
    }

    @Test("A daily Recurring TxDefaultProfile caps the power across midnight; MeterValues' energy is the limit's integral")
    func dailyRecurringAcrossMidnight() throws {
        var csms = ScriptedCSMS.booted(configuration: [("MeterValueSampleInterval", "300")], heartbeat: 86_400)
        // 10 A from 00:00, 16 A from 06:00, 6 A from 22:00, every day since May 28.
        let daily = Make.profile(1, .txDefaultProfile, kind: .recurring, recurrency: .daily, start: Self.midnight,
                                 duration: 86_400, [(0, 10), (21_600, 16), (79_200, 6)])
        #expect(try csms.set(daily, on: 0) == .accepted)
        // A battery large enough not to fill up in 12 hours.
        let transaction = try csms.startSession(1, ev: EVProfile(maxPowerW: 22_000, batteryWh: 500_000, initialSoC: 0))
        #expect(csms.powerW(1) == 11_040)

        // The composite schedule says the same: from 20:26:40, 16 A until 22:00, 6 A until
        // midnight, 10 A until 06:00, then 16 A to the end of the 24 hours asked (20:26:40).
        #expect(try csms.composite(1, seconds: 86_400, unit: .a).chargingSchedulePeriod
                == Make.periods([(0, 16), (5_600, 6), (12_800, 10), (34_400, 16)]))

        csms.advance(by: .seconds(12 * 3600))
        let samples = try csms.decoded(V.MeterValuesRequest.self).filter { $0.transactionId == transaction }
        #expect(samples.count == 144)
        let start = Self.t0.microseconds / 1_000_000
        var joules: Int64 = 0
        var second = start
        for sample in samples {
            let value = try #require(sample.meterValue.first)
            let at = value.timestamp.microseconds / 1_000_000
            while second < at {
                joules += Self.dailyLimitW(second % 86_400)
                second += 1
            }
            let energy = try #require(value.sampledValue.first { $0.measurand == .energyActiveImportRegister })
            let power = try #require(value.sampledValue.first { $0.measurand == .powerActiveImport })
            #expect(energy.value == String(joules / 3600), "at \(value.timestamp)")
            #expect(power.value == String(Self.dailyLimitW(at % 86_400)), "at \(value.timestamp)")
        }
        csms.present("TAG", on: 1)
        let stop = try #require(try csms.decoded(V.StopTransactionRequest.self).first)
        // 5,600 s × 11,040 W + 7,200 s × 4,140 W + 21,600 s × 6,900 W + 8,800 s × 11,040 W.
        #expect(stop.meterStop == 93_840)
    }

    @Test("A Relative TxDefaultProfile starts with the transaction, not when it was set")
    func relativeDefault() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 86_400)
        #expect(try csms.set(Make.profile(1, .txDefaultProfile, kind: .relative, [(0, 16), (630, 8)]), on: 1) == .accepted)
        // Idle, the schedule is reported as if a transaction started now.
        #expect(try csms.composite(1, seconds: 1000).chargingSchedulePeriod == Make.periods([(0, 16), (630, 8)]))
        csms.advance(by: .seconds(1000))
        try csms.startSession(1)
        #expect(csms.powerW(1) == 11_040)
        csms.advance(by: .seconds(100))
        #expect(try csms.composite(1, seconds: 1000, unit: .a).chargingSchedulePeriod == Make.periods([(0, 16), (530, 8)]))
        // Nothing limits connector 2: its rating is reported.
        #expect(try csms.composite(2, seconds: 1000).chargingSchedulePeriod == Make.periods([(0, 32)]))
        csms.advance(by: .seconds(529))
        #expect(csms.powerW(1) == 11_040)
        csms.advance(by: .seconds(1))
        #expect(csms.powerW(1) == 5_520)
        csms.advance(by: .seconds(570))
        // 630 s × 11,040 W + 570 s × 5,520 W.
        #expect(csms.engine.meterWh(connector: 1) == 2_806)
    }

    @Test("A ChargePointMaxProfile caps a connector below its TxProfile, and is shared between connectors")
    func chargePointMaxCaps() throws {
        var csms = ScriptedCSMS.booted()
        let transaction = try csms.startSession(1)
        #expect(try csms.set(Make.profile(1, .txProfile, transactionId: transaction, [(0, 16)]), on: 1) == .accepted)
        #expect(csms.powerW(1) == 11_040)
        #expect(try csms.set(Make.profile(2, .chargePointMaxProfile, start: Self.t0, [(0, 10)]), on: 0) == .accepted)
        #expect(csms.powerW(1) == 6_900)
        #expect(try csms.composite(1, seconds: 600, unit: .a).chargingSchedulePeriod == Make.periods([(0, 10)]))
        // A second EV wanting less than half of 6,900 W takes what it wants, the first the rest.
        try csms.startSession(2, ev: EVProfile(maxPowerW: 3_000), tag: "TAG-2")
        #expect(csms.powerW(2) == 3_000)
        #expect(csms.powerW(1) == 3_900)
        csms.suspendEV(true, on: 2)
        #expect(csms.powerW(1) == 6_900)
        csms.suspendEV(false, on: 2)
        #expect(csms.powerW(1) == 3_900)
        // The session on connector 2 ends: connector 1 gets the whole limit back at once.
        csms.advance(by: .seconds(10))
        csms.present("TAG-2", on: 2)
        #expect(csms.powerW(2) == 0)
        #expect(csms.powerW(1) == 6_900)
        csms.advance(by: .seconds(50))  // to a sample, which brings the register up to date
        let before = csms.engine.meterWh(connector: 1)
        csms.advance(by: .seconds(3600))
        #expect(csms.engine.meterWh(connector: 1) - before == 6_900)
    }

    @Test("Below the schedule's minChargingRate the EV does not charge")
    func minimumChargingRate() throws {
        var csms = ScriptedCSMS.booted()
        try csms.startSession(1)
        #expect(try csms.set(Make.profile(1, .txDefaultProfile, minRate: 6, [(0, 10), (60, 4)]), on: 1) == .accepted)
        #expect(csms.powerW(1) == 6_900)
        csms.advance(by: .seconds(60))
        #expect(csms.powerW(1) == 0)
        #expect(try csms.composite(1, seconds: 60, unit: .a).minChargingRate == 6)
    }

    @Test("validFrom applies from its instant, validTo no longer at its instant; a lower stack level fills the gaps")
    func validityBoundaries() throws {
        var csms = ScriptedCSMS.booted(heartbeat: 86_400)
        try csms.startSession(1)
        #expect(try csms.set(Make.profile(1, stack: 0, .txDefaultProfile, [(0, 16)]), on: 0) == .accepted)
        #expect(try csms.set(Make.profile(2, stack: 1, .txDefaultProfile, validFrom: Self.t0 + .seconds(600),
                                          validTo: Self.t0 + .seconds(1200), [(0, 6)]), on: 0) == .accepted)
        #expect(try csms.composite(1, seconds: 1800, unit: .a).chargingSchedulePeriod
                == Make.periods([(0, 16), (600, 6), (1200, 16)]))
        csms.advance(by: .seconds(599))
        #expect(csms.powerW(1) == 11_040)
        csms.advance(by: .seconds(1))
        #expect(csms.powerW(1) == 4_140)
        #expect(try csms.composite(1, seconds: 60).chargingSchedulePeriod == Make.periods([(0, 6)]))
        #expect(csms.engine.meterWh(connector: 1) == 1_840)
        csms.advance(by: .seconds(599))
        #expect(csms.powerW(1) == 4_140)
        csms.advance(by: .seconds(1))
        #expect(csms.powerW(1) == 11_040)
        #expect(try csms.composite(1, seconds: 60).chargingSchedulePeriod == Make.periods([(0, 16)]))
        #expect(csms.engine.meterWh(connector: 1) == 2_530)
        csms.advance(by: .seconds(600))
        #expect(csms.engine.meterWh(connector: 1) == 4_370)
    }

    // MARK: GetCompositeSchedule

    /// A ChargePointMaxProfile of 32 A then 10 A from 30 min, and a one-hour TxDefaultProfile
    /// in W: 11,000, 7,360 from 15 min, 11,000 from 45 min.
    private static func compositeFixture() throws -> ScriptedCSMS {
        var csms = ScriptedCSMS.booted()
        #expect(try csms.set(Make.profile(1, .chargePointMaxProfile, start: t0, [(0, 32), (1_800, 10)]), on: 0) == .accepted)
        #expect(try csms.set(Make.profile(2, .txDefaultProfile, start: t0, duration: 3_600, unit: .w,
                                          [(0, 11_000), (900, 7_360), (2_700, 11_000)]), on: 0) == .accepted)
        return csms
    }

    @Test("GetCompositeSchedule of a connector, in A, in W, and in the unit of its profiles")
    func compositeOfConnector() throws {
        var csms = try Self.compositeFixture()
        // 11,000 W = 15.94 A → 15.9; 7,360 W = 10.67 A → 10.6; then the 10 A of the
        // ChargePointMaxProfile (6,900 W) is lower than the default, and alone after one hour.
        #expect(try csms.composite(1, seconds: 4_000, unit: .a).chargingSchedulePeriod
                == Make.periods([(0, 15.9), (900, 10.6), (1_800, 10)]))
        #expect(try csms.composite(1, seconds: 4_000, unit: .w).chargingSchedulePeriod
                == Make.periods([(0, 11_000), (900, 7_360), (1_800, 6_900)]))
        #expect(try csms.composite(1, seconds: 4_000).chargingRateUnit == .w)
        // Only the window asked for.
        #expect(try csms.composite(1, seconds: 1_000, unit: .w).chargingSchedulePeriod
                == Make.periods([(0, 11_000), (900, 7_360)]))
        csms.advance(by: .seconds(1_000))
        #expect(try csms.composite(1, seconds: 1_000, unit: .w).chargingSchedulePeriod
                == Make.periods([(0, 7_360), (800, 6_900)]))
    }

    @Test("GetCompositeSchedule of connector 0: the connectors' limits added, capped by the ChargePointMaxProfile")
    func compositeOfChargePoint() throws {
        var csms = try Self.compositeFixture()
        // 2 × 11,000 = 22,000 < 22,080; 2 × 7,360 = 14,720; then 6,900; after one hour
        // 2 × 22,080 (the connectors' rating), still capped at 6,900.
        #expect(try csms.composite(0, seconds: 4_000, unit: .w).chargingSchedulePeriod
                == Make.periods([(0, 22_000), (900, 14_720), (1_800, 6_900)]))
        #expect(try csms.composite(0, seconds: 4_000, unit: .a).chargingSchedulePeriod
                == Make.periods([(0, 31.8), (900, 21.3), (1_800, 10)]))
    }

    @Test("GetCompositeSchedule reports numberPhases, and converts A and W with them")
    func compositePhases() throws {
        var csms = ScriptedCSMS.booted()
        try csms.startSession(1)
        #expect(try csms.set(Make.profile(1, .txProfile, [(0, 16), (600, 16)], phases: 1), on: 1) == .accepted)
        #expect(csms.powerW(1) == 3_680)
        #expect(try csms.composite(1, seconds: 1_200, unit: .a).chargingSchedulePeriod
                == Make.periods([(0, 16)], phases: 1))
        #expect(try csms.composite(1, seconds: 1_200, unit: .w).chargingSchedulePeriod
                == Make.periods([(0, 3_680)], phases: 1))
    }

    @Test("GetCompositeSchedule is Rejected for a connector that does not exist or a duration below 1 s",
          arguments: [(3, 60), (-1, 60), (1, 0), (1, -5)])
    func compositeRejected(connector: Int, duration: Int) throws {
        var csms = ScriptedCSMS.booted()
        let answer = try csms.call(V.GetCompositeScheduleRequest(connectorId: connector, duration: duration))
        #expect(answer == V.GetCompositeScheduleResponse(status: .rejected))
    }

    // MARK: ClearChargingProfile

    @Test("ClearChargingProfile by id (other criteria ignored), by connector, purpose and stack level, or all")
    func clearVariants() throws {
        var csms = ScriptedCSMS.booted()
        func install() throws {
            #expect(try csms.set(Make.profile(1, .chargePointMaxProfile, start: Self.t0, [(0, 32)]), on: 0) == .accepted)
            #expect(try csms.set(Make.profile(2, .txDefaultProfile, [(0, 16)]), on: 0) == .accepted)
            #expect(try csms.set(Make.profile(3, stack: 1, .txDefaultProfile, [(0, 10)]), on: 1) == .accepted)
            #expect(try csms.set(Make.profile(4, stack: 1, .txDefaultProfile, [(0, 8)]), on: 2) == .accepted)
        }
        try install()
        #expect(try csms.clear(id: 99) == .unknown)
        #expect(try csms.clear(id: 3, connector: 2, purpose: .chargePointMaxProfile) == .accepted)
        #expect(try csms.clear(id: 3) == .unknown)
        #expect(try csms.clear(connector: 2, purpose: .chargePointMaxProfile) == .unknown)
        #expect(try csms.clear(purpose: .txProfile) == .unknown)
        #expect(try csms.clear(purpose: .txDefaultProfile, stack: 1) == .accepted)
        #expect(try csms.clear(id: 4) == .unknown)
        #expect(try csms.clear(connector: 0) == .accepted)  // profiles 1 and 2
        #expect(try csms.clear() == .unknown)
        try install()
        #expect(try csms.clear(purpose: .txDefaultProfile) == .accepted)
        #expect(try csms.composite(1, seconds: 60).chargingSchedulePeriod == Make.periods([(0, 32)]))
        #expect(try csms.clear() == .accepted)
        #expect(try csms.clear(id: 1) == .unknown)
    }

    @Test("Clearing the last profile gives the EV its full power back")
    func clearRestoresPower() throws {
        var csms = ScriptedCSMS.booted()
        try csms.startSession(1)
        #expect(try csms.set(Make.profile(1, .txDefaultProfile, [(0, 10)]), on: 0) == .accepted)
        #expect(csms.powerW(1) == 6_900)
        #expect(try csms.clear(id: 1) == .accepted)
        #expect(csms.powerW(1) == 22_000)
    }

    // MARK: TxProfiles and transactions

    @Test("A TxProfile is removed when its transaction ends (OCPP 1.6 §3.13.1)")
    func txProfileRemovedAfterTransaction() throws {
        var csms = ScriptedCSMS.booted()
        let transaction = try csms.startSession(1)
        #expect(try csms.set(Make.profile(5, .txProfile, transactionId: transaction, [(0, 10)]), on: 1) == .accepted)
        #expect(csms.powerW(1) == 6_900)
        csms.advance(by: .seconds(60))
        csms.present("TAG", on: 1)
        #expect(csms.engine.smartCharging.profiles.isEmpty)
        #expect(try csms.clear(id: 5) == .unknown)
        #expect(try csms.composite(1, seconds: 60).chargingSchedulePeriod == Make.periods([(0, 32)]))
        csms.unplug(1)
        try csms.startSession(1)
        #expect(csms.powerW(1) == 22_000)
    }

    @Test("A hard reset keeps the installed profiles; the TxProfile goes with its transaction")
    func profilesAcrossReboot() throws {
        var csms = ScriptedCSMS.booted()
        let transaction = try csms.startSession(1)
        #expect(try csms.set(Make.profile(1, .txDefaultProfile, [(0, 12)]), on: 0) == .accepted)
        #expect(try csms.set(Make.profile(2, .txProfile, transactionId: transaction, [(0, 10)]), on: 1) == .accepted)
        #expect(try csms.call(V.ResetRequest(type: .hard)).status == .accepted)
        csms.advance(by: .seconds(5))
        #expect(csms.engine.isAccepted && !csms.engine.hasTransaction(connector: 1))
        #expect(try csms.clear(id: 2) == .unknown)
        #expect(try csms.composite(1, seconds: 60).chargingSchedulePeriod == Make.periods([(0, 12)]))
    }

    @Test("RemoteStartTransaction with a TxProfile limits the transaction it starts, and only that one",
          arguments: [false, true])
    func remoteStartProfile(plugFirst: Bool) throws {
        var csms = ScriptedCSMS.booted()
        if plugFirst { csms.plugIn(1, ev: EVProfile(maxPowerW: 22_000)) }
        let profile = Make.profile(7, .txProfile, kind: .relative, [(0, 10), (600, 6)])
        #expect(try csms.call(V.RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE",
                                                              chargingProfile: profile)).status == .accepted)
        if !plugFirst {
            #expect(csms.events.contains(.remoteStartAccepted(connector: 1)))
            csms.advance(by: .seconds(5))
            csms.plugIn(1, ev: EVProfile(maxPowerW: 22_000))
        }
        #expect(csms.engine.hasTransaction(connector: 1))
        #expect(csms.powerW(1) == 6_900)
        #expect(try csms.composite(1, seconds: 900, unit: .a).chargingSchedulePeriod == Make.periods([(0, 10), (600, 6)]))
        csms.advance(by: .seconds(600))
        #expect(csms.powerW(1) == 4_140)
        let transaction = try #require(csms.engine.transactions.first?.transactionId)
        #expect(try csms.call(V.RemoteStopTransactionRequest(transactionId: transaction)).status == .accepted)
        #expect(try csms.clear(id: 7) == .unknown)
    }

    @Test("A RemoteStartTransaction whose transaction never comes leaves no TxProfile behind")
    func remoteStartProfileDropped() throws {
        var csms = ScriptedCSMS.booted(configuration: [("ConnectionTimeOut", "30")])
        let profile = Make.profile(7, .txProfile, [(0, 10)])
        #expect(try csms.call(V.RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE",
                                                              chargingProfile: profile)).status == .accepted)
        #expect(csms.engine.smartCharging.profiles.count == 1)
        csms.advance(by: .seconds(31))
        #expect(csms.engine.smartCharging.profiles.isEmpty)
        // A card's own session on the connector is not limited by it.
        try csms.startSession(1)
        #expect(csms.powerW(1) == 22_000)
    }

    @Test("RemoteStartTransaction is Rejected for a profile the charge point cannot take", arguments: [
        Make.profile(1, .txProfile, transactionId: 1000, [(0, 10)]),
        Make.profile(1, stack: 9, .txProfile, [(0, 10)]),
        Make.profile(1, .txProfile, []),
        Make.profile(1, .chargePointMaxProfile, [(0, 10)]),
    ])
    func remoteStartProfileRejected(profile: V16.ChargingProfile) throws {
        var csms = ScriptedCSMS.booted()
        csms.plugIn(1)
        #expect(try csms.call(V.RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE",
                                                              chargingProfile: profile)).status == .rejected)
        #expect(!csms.engine.hasTransaction(connector: 1))
        #expect(csms.engine.smartCharging.profiles.isEmpty)
    }

    // MARK: the pure calculation

    @Test("A weekly Recurring schedule repeats every 7 days from its start and not before; duration bounds each run")
    func weeklyRecurrence() {
        let monday = Timestamp(seconds: 1_779_667_200)  // Monday 2026-05-25T00:00:00Z
        let profile = Make.profile(1, .chargePointMaxProfile, kind: .recurring, recurrency: .weekly, start: monday,
                                   duration: 7_200, unit: .w, [(0, 5_000), (3_600, 3_000)])
        let scheduled = ScheduledProfile(profile: profile, anchor: monday)
        let week: Int64 = 7 * 86_400
        #expect(scheduled.limit(at: monday + .seconds(-1)) == nil)
        #expect(scheduled.nextChange(after: monday + .seconds(-1)) == monday)
        #expect(scheduled.limit(at: monday)?.watts == 5_000)
        #expect(scheduled.limit(at: monday + .seconds(Int(week) + 3_600))?.watts == 3_000)
        #expect(scheduled.limit(at: monday + .seconds(Int(week) + 7_200)) == nil)
        #expect(scheduled.nextChange(after: monday + .seconds(7_200)) == monday + .seconds(Int(week)))
    }

    @Test("The composite calculation merges equal neighbours and caps the unlimited with the rating")
    func compositePure() {
        let start = Timestamp(seconds: 1_780_000_000)
        let profiles = [
            InstalledChargingProfile(connector: 0, profile: Make.profile(1, .txDefaultProfile, start: start, duration: 600,
                                                                         [(0, 16), (300, 16), (450, 8)]),
                                     installedAt: start),
        ]
        let composite = CompositeSchedule(profiles: profiles, connectors: 1, transactionStart: [nil, nil], idleStart: start)
        let schedule = composite.schedule(connector: 1, from: start, seconds: 900, unit: .a)
        #expect(schedule.chargingSchedulePeriod == Make.periods([(0, 16), (450, 8), (600, 32)]))
        #expect(composite.nextChange(after: start, connectors: [1]) == start + .seconds(300))
    }

    @Test("Power sharing: equal shares, a modest demand leaves the rest to others, a minimum too high gets nothing",
          arguments: [
              (6_900.0, [(11_040.0, 0.0), (11_040.0, 0.0)], [3_450.0, 3_450.0]),
              (6_900.0, [(11_040.0, 0.0), (3_000.0, 0.0)], [3_900.0, 3_000.0]),
              (6_900.0, [(11_040.0, 4_140.0), (11_040.0, 4_140.0)], [6_900.0, 0.0]),
              (6_900.0, [(11_040.0, 4_140.0), (11_040.0, 0.0)], [4_140.0, 2_760.0]),
              (10_000.0, [(2_000.0, 0.0), (3_000.0, 0.0), (9_000.0, 0.0)], [2_000.0, 3_000.0, 5_000.0]),
          ])
    func sharing(total: Double, demands: [(Double, Double)], expected: [Double]) {
        let shares = PowerSharing.share(total: total, demands: demands.map { PowerSharing.Demand(cap: $0.0, minimum: $0.1) })
        #expect(shares == expected)
        #expect(PowerSharing.share(total: nil, demands: demands.map { PowerSharing.Demand(cap: $0.0, minimum: 0) })
                == demands.map(\.0))
    }
}
