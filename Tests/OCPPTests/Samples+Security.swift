@testable import OCPP

extension Samples {
    /// Security samples: names starting with "rich" set every optional field (they are walked
    /// for schema mutations); others cover minimal payloads and every enum case.
    static let security: [Sample] = []
}
