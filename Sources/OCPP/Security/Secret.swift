/// A secret such as the Basic-authentication password of security profiles 1 and 2 (the
/// `AuthorizationKey` of the OCPP 1.6 Security Whitepaper): every way Swift has of printing a
/// value (`description`, `debugDescription`, `dump`, string interpolation, a parent struct's
/// default description) shows `***`. Only ``reveal()`` gives the text, and only the code that
/// puts it on the wire or compares it calls that.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself: for the Authorization header and for comparing, never for printing.
    public func reveal() -> String { value }

    /// Whether `candidate` is this secret, comparing every byte whatever the first difference
    /// (no early exit an attacker could time).
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let lhs = Array(value.utf8)
        let rhs = Array(candidate.utf8)
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            let a = index < lhs.count ? lhs[index] : 0
            let b = index < rhs.count ? rhs[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    public static let redacted = "***"

    public var description: String { Self.redacted }
    public var debugDescription: String { Self.redacted }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
