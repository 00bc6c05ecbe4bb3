/// How an EV's power changes during a session, on top of its maximum (`powerKW`, capped by the
/// connector's rating).
public struct PowerCurve: Sendable, Equatable {
    /// Seconds from the start of the transaction to full power; the power rises in four equal
    /// steps (1/8, 3/8, 5/8, 7/8 of full) so the energy matches a straight ramp. 0: full at once.
    public var ramp: Distribution
    /// From this state of charge (%) on, the power falls linearly to 0 at 100%; 100 means no taper.
    public var taperFromSoC: Double
    /// Share (0...1) of sessions in which the EV pauses charging once (status SuspendedEV).
    public var suspendShare: Double
    /// Seconds from the start of the transaction to the pause.
    public var suspendAfter: Distribution
    /// Seconds the pause lasts.
    public var suspendDuration: Distribution

    public init(
        ramp: Distribution = .constant(0),
        taperFromSoC: Double = 100,
        suspendShare: Double = 0,
        suspendAfter: Distribution = .uniform(lower: 60, upper: 600),
        suspendDuration: Distribution = .uniform(lower: 30, upper: 300)
    ) {
        self.ramp = ramp
        self.taperFromSoC = taperFromSoC
        self.suspendShare = suspendShare
        self.suspendAfter = suspendAfter
        self.suspendDuration = suspendDuration
    }

    /// Full power from the first moment to the last, no pauses: the default.
    public static let flat = PowerCurve()
}

/// Connector faults: a Poisson process per charge point.
public struct FaultProfile: Sendable, Equatable {
    /// Mean faults per hour per charge point; > 0.
    public var ratePerHour: Double
    /// The OCPP 1.6 ChargePointErrorCode each fault reports (never NoError).
    public var errorCode: WeightedChoice<String>
    /// Seconds until the fault clears (status back to Available).
    public var recovery: Distribution

    public init(ratePerHour: Double, errorCode: WeightedChoice<String> = WeightedChoice(always: "OtherError"),
                recovery: Distribution = .uniform(lower: 60, upper: 600)) {
        self.ratePerHour = ratePerHour
        self.errorCode = errorCode
        self.recovery = recovery
    }

    /// ChargePointErrorCode values of OCPP 1.6 (§7.6) a fault may report: all but NoError.
    public static let errorCodes = [
        "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError",
        "LocalListConflict", "OtherError", "OverCurrentFailure", "OverVoltage", "PowerMeterFailure",
        "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage", "WeakSignal",
    ]
}

/// Network outages: the charge point drops its own connection and stays offline a while.
public struct OutageProfile: Sendable, Equatable {
    /// Mean outages per hour per charge point; > 0.
    public var ratePerHour: Double
    /// Seconds offline before the first reconnect attempt.
    public var duration: Distribution

    public init(ratePerHour: Double, duration: Distribution = .uniform(lower: 10, upper: 120)) {
        self.ratePerHour = ratePerHour
        self.duration = duration
    }
}

/// Power cycles: the charge point loses power (running transactions stop with reason PowerLoss)
/// and boots again.
public struct RebootProfile: Sendable, Equatable {
    /// Mean reboots per hour per charge point; > 0.
    public var ratePerHour: Double

    public init(ratePerHour: Double) {
        self.ratePerHour = ratePerHour
    }
}

/// Vendor-specific DataTransfer.req calls the charge point makes on its own.
public struct DataTransferProfile: Sendable, Equatable {
    /// Mean calls per hour per charge point; > 0.
    public var ratePerHour: Double
    /// CiString255; the embedded CSMS accepts `ocpp-fleet`.
    public var vendorId: String
    /// CiString50, optional.
    public var messageId: String?
    /// Free text, optional.
    public var data: String?

    public init(ratePerHour: Double, vendorId: String = DataTransferProfile.defaultVendorId,
                messageId: String? = nil, data: String? = nil) {
        self.ratePerHour = ratePerHour
        self.vendorId = vendorId
        self.messageId = messageId
        self.data = data
    }

    public static let defaultVendorId = "ocpp-fleet"
}

/// The idTags a session presents when it is meant to be refused. The prefixes are the ones the
/// embedded CSMS's idTag policy refuses (`docs/embedded-csms.md`).
public enum RefusedTag {
    /// A card the CSMS knows but refuses: half `BLOCKED-<index>` (Blocked), half
    /// `EXPIRED-<index>` (Expired), the index being the charge point's.
    public static func invalid(chargePointIndex: Int, blocked: Bool) -> String {
        (blocked ? "BLOCKED-" : "EXPIRED-") + String(chargePointIndex)
    }

    /// A card no CSMS has issued: `INVALID-` and 8 random hex digits. OCPP 1.6 answers an unknown
    /// identifier with status Invalid, as the embedded CSMS does for this prefix.
    public static func unknown(random: UInt64) -> String {
        let hex = String(random & 0xFFFF_FFFF, radix: 16, uppercase: true)
        return "INVALID-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}

/// Simulated file transfers of the firmware and diagnostics operations (UpdateFirmware,
/// SignedUpdateFirmware, GetDiagnostics, GetLog): how long each step takes and how often
/// it fails. YAML `fileTransfer`.
public struct FileTransferProfile: Sendable, Equatable {
    /// One firmware download attempt.
    public var download: Duration
    /// Installing a downloaded firmware, before the reboot.
    public var install: Duration
    /// One diagnostics or log upload attempt.
    public var upload: Duration
    /// Probabilities (0...1): one download attempt fails, an installation fails, one upload
    /// attempt fails, a signed firmware's signature does not verify.
    public var downloadFailure: Double
    public var installFailure: Double
    public var uploadFailure: Double
    public var signatureFailure: Double

    public init(download: Duration = .seconds(30), install: Duration = .seconds(60), upload: Duration = .seconds(10),
                downloadFailure: Double = 0, installFailure: Double = 0, uploadFailure: Double = 0,
                signatureFailure: Double = 0) {
        self.download = download
        self.install = install
        self.upload = upload
        self.downloadFailure = downloadFailure
        self.installFailure = installFailure
        self.uploadFailure = uploadFailure
        self.signatureFailure = signatureFailure
    }

    public static let `default` = FileTransferProfile()
}
