import OCPP

/// DataTransfer.req from the charge point (OCPP 1.6 §4.3): vendor-specific data the charge
/// point sends on its own. Queued as a `.feature` CALL, so its answer is validated by the
/// generic branch of `featureAnswered` and a failure is simply given up.
extension ChargePointV16 {
    /// Queues a DataTransfer.req; it goes out when the connection is up and the boot accepted.
    /// `vendorId` is CiString255 and `messageId` CiString50 (the fleet spec checks both).
    public mutating func sendDataTransfer(vendorId: String, messageId: String?, data: String?, now: Timestamp,
                                          into out: inout [EngineOutput]) {
        guard !stopping else { return }
        let request = V16.DataTransferRequest(vendorId: vendorId, messageId: messageId, data: data)
        enqueue(.feature(.dataTransfer, payload: request.encoded), due: now, into: &out)
        pump(now: now, into: &out)
    }
}
